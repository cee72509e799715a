// `phantom sim` in-process: prints what happened, replays a seed exactly, refuses bad options.
import { describe, expect, it } from 'vitest';
import { command } from '../../agent/src/cli/commands/sim.ts';
import { UsageError } from '../../agent/src/cli/command.ts';

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await command.run(argv, { out: (t) => out.push(t), err: (t) => err.push(t), env: {} });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const args = ['--nodes', '24', '--regions', '2', '--minutes', '8', '--seed', '5', '--faults', 'loss=0.01,sp-crash@3m,rp-crash@4m,partition@5m+30s:site'];

describe('phantom sim', () => {
  it('prints sub-grids, elections, failovers, queries and messages per tier; exit 0 when invariants hold', async () => {
    const r = await run(args);
    expect(r.code).toBe(0);
    for (const label of ['sub-grids', 'faults', 'elections', 'failovers', 'queries', 'messages', 'invariants']) expect(r.out).toMatch(new RegExp(`^${label} `, 'm'));
    expect(r.out).toMatch(/super-peer crashes 1, region-peer crashes 1/);
    expect(r.out).toMatch(/all held/);
  });

  it('replays a seed exactly (--json)', async () => {
    const a = JSON.parse((await run([...args, '--json'])).out);
    const b = JSON.parse((await run([...args, '--json'])).out);
    delete a.wallMs;
    delete b.wallMs;
    expect(a).toEqual(b);
    expect(a.messages.sent).toBeGreaterThan(1000);
  });

  it('refuses bad options and fault specs naming what is wrong', async () => {
    await expect(run(['--nodes', 'many'])).rejects.toThrow(UsageError);
    await expect(run(['--faults', 'sp-crash@later'])).rejects.toThrow(/--faults: sp-crash@later: "later" is not a duration/);
    await expect(run(['--hours', '1', '--minutes', '5'])).rejects.toThrow(/not both/);
  });
});
