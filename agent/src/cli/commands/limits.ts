import type { DonationLimits, DonationLimitsPatch } from '../../../../contract/index.ts';
import { AgentNotRunningError, ApiCallError, createControlClient } from '../../api/client.ts';
import { resolveDataDir } from '../../config/paths.ts';
import { Exit, UsageError, type Command } from '../command.ts';
import { dataDirOption, parseCommandArgs } from '../parse.ts';

const help = `usage: phantom limits [--cpu PCT] [--cores LIST|all] [--memory MIB|auto] [--disk MIB]
                      [--idle-minutes N] [--pause-on-battery on|off] [--qos on|off] [--json] [--data-dir DIR]

Shows what this machine donates; with any option, changes it (live, within a second).

  --cpu PCT              share of the machine's CPU time for grid work, 0–100
  --cores LIST|all       cores grid work may use, e.g. 0,2-3
  --memory MIB|auto      memory for guests in MiB; auto = 25% of the machine
  --disk MIB             disk for guest images and checkpoints
  --idle-minutes N       work only after the owner has been idle N minutes (0 = also while lightly active)
  --pause-on-battery on|off
  --qos on|off           off for dedicated nodes: no throttling for the owner`;

export function int(name: string, v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) throw new UsageError(`--${name}: "${v}" is not a whole number`);
  return n;
}

export function onOff(name: string, v: string): boolean {
  if (v === 'on' || v === 'true') return true;
  if (v === 'off' || v === 'false') return false;
  throw new UsageError(`--${name}: expected on or off, got "${v}"`);
}

export function parseCoreList(v: string): number[] | null {
  if (v === 'all') return null;
  const cores = new Set<number>();
  for (const part of v.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new UsageError(`--cores: "${part}" is not a core number or range (e.g. 0,2-3)`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) throw new UsageError(`--cores: range "${part}" runs backwards`);
    for (let c = from; c <= to; c++) cores.add(c);
  }
  return [...cores].sort((a, b) => a - b);
}

/** The donation options `phantom limits` and `phantom preset create` share. */
export const LIMIT_OPTIONS = {
  cpu: { type: 'string' },
  cores: { type: 'string' },
  memory: { type: 'string' },
  disk: { type: 'string' },
  'idle-minutes': { type: 'string' },
  'pause-on-battery': { type: 'string' },
  qos: { type: 'string' },
} as const;

type LimitValues = { [K in keyof typeof LIMIT_OPTIONS]?: string | undefined };

/** The limits the options name, each parsed (usage errors name the option); absent ones are left out. */
export function limitsPatchFromArgs(values: LimitValues): DonationLimitsPatch {
  const patch: DonationLimitsPatch = {};
  if (values.cpu !== undefined) patch.cpuPercent = int('cpu', values.cpu);
  if (values.cores !== undefined) patch.cores = parseCoreList(values.cores);
  if (values.memory !== undefined) patch.memoryMiB = values.memory === 'auto' ? null : int('memory', values.memory);
  if (values.disk !== undefined) patch.diskMiB = int('disk', values.disk);
  if (values['idle-minutes'] !== undefined) patch.onlyWhenIdleMinutes = int('idle-minutes', values['idle-minutes']);
  if (values['pause-on-battery'] !== undefined) patch.pauseOnBattery = onOff('pause-on-battery', values['pause-on-battery']);
  if (values.qos !== undefined) patch.qos = onOff('qos', values.qos);
  return patch;
}

function format(l: DonationLimits): string {
  return [
    `cpu               ${l.cpuPercent}%`,
    `cores             ${l.cores ? l.cores.join(',') : 'all'}`,
    `memory            ${l.memoryMiB === null ? 'auto (25% of the machine)' : `${l.memoryMiB} MiB`}`,
    `disk              ${l.diskMiB} MiB`,
    `schedule          ${l.schedule.length ? l.schedule.map((w) => `${w.days.join('')} ${w.from}-${w.to}`).join('; ') : 'any time'}`,
    `idle minutes      ${l.onlyWhenIdleMinutes}`,
    `pause on battery  ${l.pauseOnBattery ? 'on' : 'off'}`,
    `qos               ${l.qos ? 'on' : 'off'}`,
  ].join('\n');
}

export const command: Command = {
  name: 'limits',
  summary: 'show or change what this machine donates',
  help,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { ...dataDirOption, json: { type: 'boolean' }, ...LIMIT_OPTIONS });
    const patch = limitsPatchFromArgs(values);

    const client = createControlClient(resolveDataDir(values['data-dir'], io.env));
    try {
      const limits = Object.keys(patch).length ? await client.call('setLimits', patch) : await client.call('getLimits');
      io.out(values.json ? JSON.stringify(limits, null, 2) : format(limits));
      return Exit.ok;
    } catch (err) {
      if (err instanceof AgentNotRunningError) {
        io.err(`phantom limits: ${err.message}`);
        return Exit.noAgent;
      }
      if (err instanceof ApiCallError && err.status === 400) {
        io.err(`phantom limits: ${err.message} (limits unchanged)`);
        return Exit.dataErr;
      }
      throw err;
    }
  },
};
