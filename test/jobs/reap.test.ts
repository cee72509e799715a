import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reapOrphanGuests } from '../../agent/src/jobs/setup.ts';
import { silentLogger } from '../../agent/src/log.ts';

const procs: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const p of procs.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A process that looks like a guest QEMU (argv[0] and a socket path in the run dir) without booting one. */
function fakeGuest(socketPath: string): ChildProcess {
  const p = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)', `path=${socketPath}`], { argv0: 'qemu-system-x86_64', stdio: 'ignore' });
  procs.push(p);
  return p;
}

describe('reapOrphanGuests', () => {
  it("kills guests left in this data dir's run dir, and nothing else", async () => {
    const mine = mkdtempSync(join(tmpdir(), 'phantom-reap-'));
    const other = mkdtempSync(join(tmpdir(), 'phantom-reap-other-'));
    dirs.push(mine, other);
    const orphan = fakeGuest(join(mine, 'vm', 'job-1-a1-abc', 'agent.sock'));
    const neighbour = fakeGuest(join(other, 'vm', 'job-2-a1-def', 'agent.sock'));
    await new Promise((r) => setTimeout(r, 300));
    const exited = new Promise((r) => orphan.once('exit', (_c, s) => r(s)));
    expect(reapOrphanGuests(join(mine, 'vm'), silentLogger())).toBe(1);
    expect(await exited).toBe('SIGKILL');
    expect(neighbour.exitCode).toBeNull();
    expect(neighbour.signalCode).toBeNull();
  });
});
