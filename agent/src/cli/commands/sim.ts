// `phantom sim`: the overlay's real node code in the deterministic simulator (agent/src/sim).
import { runSimulation } from '../../sim/run.ts';
import { defaultFaults, FAULT_HELP, FaultSyntaxError, parseFaults } from '../../sim/faults.ts';
import { formatReport } from '../../sim/report.ts';
import { createReedSolomonCodec } from '../../net/reed-solomon.ts';
import { createEd25519Signatures, createGridKey } from '../../net/invite-crypto.ts';
import { Exit, UsageError, type Command } from '../command.ts';
import { parseCommandArgs } from '../parse.ts';

const help = `usage: phantom sim [--nodes N] [--regions R] [--hours H | --minutes M] [--seed S]
                 [--faults SPEC] [--site-size N] [--json]

Runs N nodes of the real overlay code over a simulated network (virtual time, LAN and WAN
latencies, loss, partitions, crashes and restarts), all from one seed, and prints what happened:
sub-grids, elections, failovers, queries and messages per tier. Invariants are checked throughout;
the exit code is 1 if any broke. The same seed and options replay the same run.

  --nodes N        nodes (default 100)
  --regions R      regions (default 3)
  --hours H        simulated time (default 1); or --minutes M
  --seed S         seed (default 1)
  --site-size N    nodes per LAN site on average (default 20)
  --faults SPEC    faults to inject (see below)
  --json           the full report as JSON

${FAULT_HELP}`;

function num(name: string, v: string | undefined, def: number, opts: { int?: boolean; min?: number; max?: number } = {}): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || (opts.int && !Number.isInteger(n))) throw new UsageError(`--${name}: "${v}" is not a${opts.int ? ' whole' : ''} number`);
  if (opts.min !== undefined && n < opts.min) throw new UsageError(`--${name}: must be at least ${opts.min}`);
  if (opts.max !== undefined && n > opts.max) throw new UsageError(`--${name}: must be at most ${opts.max}`);
  return n;
}

export const command: Command = {
  name: 'sim',
  summary: 'simulate the overlay (thousands of nodes, faults, invariants) from a seed',
  help,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, {
      nodes: { type: 'string' }, regions: { type: 'string' }, hours: { type: 'string' }, minutes: { type: 'string' },
      seed: { type: 'string' }, faults: { type: 'string' }, 'site-size': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.out(help);
      return Exit.ok;
    }
    const nodes = num('nodes', values.nodes, 100, { int: true, min: 2, max: 20_000 });
    const regions = num('regions', values.regions, 3, { int: true, min: 1, max: 50 });
    if (values.hours !== undefined && values.minutes !== undefined) throw new UsageError('give --hours or --minutes, not both');
    const durationMs = values.minutes !== undefined ? num('minutes', values.minutes, 60, { min: 1, max: 10_080 }) * 60_000 : num('hours', values.hours, 1, { min: 1 / 60, max: 168 }) * 3_600_000;
    const seed = num('seed', values.seed, 1, { int: true, min: 0, max: 2 ** 31 - 1 });
    const siteSize = num('site-size', values['site-size'], 20, { int: true, min: 2, max: 1000 });
    let faults;
    try {
      faults = values.faults === undefined ? defaultFaults(durationMs) : parseFaults(values.faults);
    } catch (err) {
      if (err instanceof FaultSyntaxError) throw new UsageError(`--faults: ${err.message}`);
      throw err;
    }
    const t0 = performance.now();
    const report = await runSimulation({
      seed, nodes, regions, durationMs, faults, siteSize,
      erasure: createReedSolomonCodec(), signatures: createEd25519Signatures(), gridKey: createGridKey(), forgerKey: createGridKey(),
    });
    const wall = performance.now() - t0;
    io.out(values.json ? JSON.stringify({ ...report, wallMs: Math.round(wall) }, null, 2) : formatReport(report, wall));
    return report.violations.length ? Exit.failure : Exit.ok;
  },
};
