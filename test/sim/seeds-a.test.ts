// Simulation seeds 0–99 (small grids: 20–80 nodes); each crashes a super-peer and a region peer and heals a partition under loss.
import { describe } from 'vitest';
import { seedTests } from './seeds-check.ts';

describe('overlay simulation, seeds 0–99', () => seedTests(0, 100, [20, 30, 50, 80]));
