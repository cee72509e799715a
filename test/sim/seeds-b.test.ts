// Simulation seeds 100–199 (small grids: 20–80 nodes); same faults as seeds-a.
import { describe } from 'vitest';
import { seedTests } from './seeds-check.ts';

describe('overlay simulation, seeds 100–199', () => seedTests(100, 200, [20, 40, 60, 100]));
