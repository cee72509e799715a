// Every `phantom` subcommand, one import line each.
import type { Command } from '../command.ts';
import { command as agent } from './agent.ts';
import { command as status } from './status.ts';
import { command as limits } from './limits.ts';
import { command as ui } from './ui.ts';
import { command as preset } from './preset.ts';
import { command as submit } from './submit.ts';
import { command as jobs } from './jobs.ts';
import { command as results } from './results.ts';
import { command as cancel } from './cancel.ts';
import { command as logs } from './logs.ts';
import { command as sim } from './sim.ts';

export const commands: readonly Command[] = [agent, status, limits, ui, preset, submit, jobs, results, cancel, logs, sim];
