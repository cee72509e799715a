// The cgroup v2 path for real: this host binds the controllers to v1, so the agent's v2 driver is
// run inside a QEMU guest booted with cgroup_no_v1=all. The guest is the project's guest kernel
// with an initramfs of busybox, this Node binary and the QoS sources; v2-guest-probe.ts does the work.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hostKhzFromCpuinfo } from '../../agent/src/vm/qemu-command.ts';
import { BUSYBOX, QEMU, buildInitramfs, guestKernel } from './v2-guest-image.ts';

interface ProbeResult {
  error?: string;
  layout: { kind: string; controllers: string[] };
  limited: Record<string, string>;
  released: Record<string, string>;
  membership: string;
  contains: boolean;
  share: number;
  usage: { cpuNs: number; throttledPeriods: number };
  removed: boolean;
}

const kernel = guestKernel();
const skip = !existsSync(QEMU) ? 'qemu-system-x86_64 is not installed'
  : !existsSync(BUSYBOX) ? 'busybox-static is not installed (scripts/install-system-deps.sh)'
  : !kernel ? 'no guest kernel in guest/out yet: run node guest/build-image.ts'
  : false;

describe.skipIf(skip)('cgroup v2 inside a guest booted with only cgroup v2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qos-v2-guest-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the guests\' group, caps a busy loop at 25%, marks it idle, releases and removes it', async () => {
    const initrd = buildInitramfs(dir);
    const khz = hostKhzFromCpuinfo(readFileSync('/proc/cpuinfo', 'utf8'));
    const append = ['console=ttyS0', 'panic=-1', 'quiet', 'cgroup_no_v1=all', 'mitigations=off', 'i8042.noaux', 'i8042.nokbd', ...(khz ? [`tsc_early_khz=${khz}`] : [])];
    const qemu = spawn(QEMU, [
      '-nodefaults', '-no-user-config', '-no-reboot', '-M', 'microvm,x-option-roms=off,rtc=on', '-accel', 'tcg', '-cpu', 'max',
      '-smp', '2', '-m', '768M', '-nic', 'none', '-display', 'none', '-vga', 'none',
      '-kernel', kernel!, '-initrd', initrd, '-append', append.join(' '), '-serial', 'stdio',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    let console = '';
    qemu.stdout.on('data', (d: Buffer) => (console += d.toString()));
    qemu.stderr.on('data', (d: Buffer) => (console += d.toString()));
    const exited = new Promise<void>((resolve) => qemu.once('exit', () => resolve()));
    const timer = setTimeout(() => qemu.kill('SIGKILL'), 150_000);
    await exited;
    clearTimeout(timer);

    const line = console.split('\n').find((l) => l.startsWith('V2PROBE '));
    expect(line, `no probe output; guest console:\n${console.slice(-3000)}`).toBeDefined();
    const r = JSON.parse(line!.slice('V2PROBE '.length)) as ProbeResult;
    expect(r.error, String(r.error)).toBeUndefined();
    expect(r.layout.kind).toBe('v2');
    expect(r.layout.controllers).toEqual(expect.arrayContaining(['cpu', 'cpuset', 'memory']));
    expect(r.limited).toEqual({ 'cpu.max': '50000 100000', 'cpu.idle': '1', 'cpuset.cpus': '0', 'memory.max': String(64 * 1024 * 1024) });
    expect(r.membership).toBe('0::/phantom-grid/guests');
    expect(r.contains).toBe(true);
    // A busy loop would take a whole core (50% of two); the cap holds it near 25%.
    expect(r.share).toBeGreaterThan(5);
    expect(r.share).toBeLessThanOrEqual(25 + 8);
    expect(r.usage.cpuNs).toBeGreaterThan(0);
    expect(r.usage.throttledPeriods).toBeGreaterThan(0);
    expect(r.released).toEqual({ 'cpu.max': 'max 100000', 'cpu.idle': '0', 'cpu.weight': '100', 'memory.max': 'max' });
    expect(r.removed).toBe(true);
  }, 180_000); // TCG boot + Node start-up on a shared 2-core host
});
