// Every `phantom` subcommand, one import line each.
import type { Command } from '../command.ts';
import { command as agent } from './agent.ts';
import { command as status } from './status.ts';
import { command as limits } from './limits.ts';
import { command as ui } from './ui.ts';
import { command as preset } from './preset.ts';

export const commands: readonly Command[] = [agent, status, limits, ui, preset];
