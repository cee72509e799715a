import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { phantomBin } from '../support/agent-process.ts';

const systemNode = '/usr/bin/node';
const systemNodeVersion = existsSync(systemNode) ? execFileSync(systemNode, ['--version'], { encoding: 'utf8' }).trim() : null;
const systemNodeIsOld = systemNodeVersion !== null && Number(/^v(\d+)/.exec(systemNodeVersion)?.[1]) < 22;

describe('the phantom launcher', () => {
  it('runs on the current Node', () => {
    const r = spawnSync(process.execPath, [phantomBin, '--version'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it.skipIf(!systemNodeIsOld)(`re-runs itself on the bundled Node when started by an old one (${systemNodeVersion ?? 'no /usr/bin/node'}), with systemd's bare environment`, () => {
    // systemd starts units with an almost empty environment: no PATH entries from a login shell.
    const r = spawnSync(systemNode, [phantomBin, 'status', '--data-dir', '/nonexistent-phantom-dir'], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
    expect(r.stderr).not.toMatch(/too old|SyntaxError|withResolvers/);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/no Phantom Grid agent is running/);
  });

  it('passes the exit code of the real command through', () => {
    const r = spawnSync(process.execPath, [phantomBin, 'no-such-command'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
  });
});
