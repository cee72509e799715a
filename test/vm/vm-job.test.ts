// One real guest (QEMU, TCG) runs several jobs: results, sizing, isolation, bad requests, cancel.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOOT_HOOK_MS, startTestHost, type TestHost } from './vm-support.ts';
import type { Vm } from '../../agent/src/vm/vm.ts';

const REQUESTED_MIB = 256;
let t: TestHost;
let vm: Vm;
const placed: Array<{ pid: number; cmdline: string }> = [];

beforeAll(async () => {
  t = await startTestHost({
    accel: 'auto',
    // What the QoS part plugs in to move QEMU into the guests' cgroup.
    placeProcess: (pid) => void placed.push({ pid, cmdline: readFileSync(`/proc/${pid}/cmdline`, 'utf8') }),
  });
  vm = await t.host.boot({ id: 'jobs', vcpus: 2, memoryMiB: REQUESTED_MIB });
}, BOOT_HOOK_MS);
afterAll(async () => {
  await t?.cleanup();
});

describe('the guest machine', () => {
  it('is handed to placeProcess before it runs, with a locked-down QEMU command line', () => {
    expect(placed.map((p) => p.pid)).toEqual([vm.pid]);
    const args = placed[0]!.cmdline.split('\0');
    for (const a of ['-nodefaults', '-no-user-config', '-S']) expect(args).toContain(a);
    expect(args[args.indexOf('-nic') + 1]).toBe('none');
    expect(args[args.indexOf('-display') + 1]).toBe('none');
    expect(args[args.indexOf('-sandbox') + 1]).toMatch(/^on,/);
    expect(args.filter((a) => a === '-drive' || a === '-hda' || a === '-netdev' || a === '-usb' || a === '-fsdev' || a === '-virtfs')).toEqual([]);
  });

  it('probes accelerators by running a tiny guest', async () => {
    const { probeAccel } = await import('../../agent/src/vm/vm-host.ts');
    expect(await probeAccel('qemu-system-x86_64', t.dir, 'tcg')).toBe(true);
    // Here KVM cannot run guests, so the host fell back to TCG; where it can, it would use it.
    expect(t.host.accel).toBe((await probeAccel('qemu-system-x86_64', t.dir, 'kvm')) ? 'kvm' : 'tcg');
  });
});

describe('a job in a guest', () => {
  it('returns stdout, stderr, the exit code, rusage and output files', async () => {
    const ok = await vm.run({
      argv: ['sh', '-c', 'mkdir -p ../out; tr a-z A-Z < in.txt > ../out/up.txt; echo "bytes $(wc -c < in.txt) $GREETING"; echo oops >&2; read line; echo "stdin: $line"; exit 7'],
      files: [{ path: 'work/in.txt', content: Buffer.from('hello guest\n') }],
      stdin: Buffer.from('from the host\n'),
      outputs: ['out/up.txt', 'not-there.txt'],
      env: { GREETING: 'hi' },
      cwd: 'work',
    }).result;
    expect(ok.exit.code).toBe(7);
    expect(ok.exit.signal).toBeNull();
    expect(ok.stdout.toString()).toBe('bytes 12 hi\nstdin: from the host\n');
    expect(ok.stderr.toString()).toBe('oops\n');
    expect(ok.exit.utimeUs + ok.exit.stimeUs).toBeGreaterThan(0);
    const files = Object.fromEntries(ok.files.map((f) => [f.path, f]));
    expect(files['out/up.txt']?.status).toBe('ok');
    expect(files['out/up.txt']?.content.toString()).toBe('HELLO GUEST\n');
    expect(files['not-there.txt']?.status).toBe('missing');
  });

  it('runs a static executable shipped as an input file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgvm-exe-'));
    try {
      writeFileSync(join(dir, 'sq.c'), '#include <stdio.h>\n#include <stdlib.h>\nint main(int c, char **v) { long n = atol(v[1]); printf("%ld\\n", n * n); return 0; }\n');
      execFileSync('gcc', ['-static', '-Os', '-o', join(dir, 'sq'), join(dir, 'sq.c')]);
      const r = await vm.run({ argv: ['./sq', '12345'], files: [{ path: 'sq', content: readFileSync(join(dir, 'sq')), mode: 0o755 }] }).result;
      expect(r.exit.code).toBe(0);
      expect(r.stdout.toString()).toBe(`${12345 * 12345}\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sees the requested vCPUs and at least 90% of the requested memory', async () => {
    const r = await vm.run({ argv: ['sh', '-c', 'nproc; grep MemTotal /proc/meminfo'] }).result;
    const [nproc, mem] = r.stdout.toString().trim().split('\n');
    expect(Number(nproc)).toBe(2);
    const kb = Number(/MemTotal:\s+(\d+) kB/.exec(mem ?? '')?.[1]);
    expect(kb).toBeGreaterThanOrEqual(0.9 * REQUESTED_MIB * 1024);
  });

  it('has no network interface but lo, no disks, no shared file systems, and cannot find a host file', async () => {
    const marker = `phantom-marker-${randomBytes(8).toString('hex')}`;
    const markerPath = join(tmpdir(), marker);
    writeFileSync(markerPath, `${marker}\n`);
    try {
      const r = await vm.run({
        argv: ['sh', '-c', [
          'echo "net: $(ls /sys/class/net | tr "\\n" " ")"',
          'echo "block: $(ls /sys/block | wc -l)"',
          'echo "fs: $(grep -cE "9p|virtiofs|nfs|cifs|fuse" /proc/filesystems)"',
          'echo "mounts: $(cut -d" " -f3 /proc/mounts | sort -u | tr "\\n" " ")"',
          `echo "found: $(find / -xdev -name '${marker}*' 2>/dev/null | wc -l) $(grep -rl '${marker}' /etc /job /tmp /run /root /lib 2>/dev/null | wc -l)"`,
          'echo "uid: $(id -u)"',
          'echo x > /dev/vport0p1 2>/dev/null && echo "port: writable" || echo "port: denied"',
          'wget -q -T 2 -O - http://10.0.2.2/ >/dev/null 2>&1 && echo "wget: ok" || echo "wget: failed"',
        ].join('\n')],
      }).result;
      const out = r.stdout.toString();
      expect(out).toContain('net: lo \n');
      expect(out).toContain('block: 0\n');
      expect(out).toContain('fs: 0\n');
      expect(out).toMatch(/mounts: (devtmpfs |proc |rootfs |sysfs )+\n/);
      expect(out).toContain('found: 0 0\n');
      expect(out).toContain('uid: 65534\n');
      expect(out).toContain('port: denied\n');
      expect(out).toContain('wget: failed\n');
    } finally {
      rmSync(markerPath, { force: true });
    }
  });

  it('refuses an invalid job before anything reaches the guest, naming the field', () => {
    expect(() => vm.run({ argv: [] })).toThrow(/argv/);
    expect(() => vm.run({ argv: ['true'], files: [{ path: '../etc/passwd', content: Buffer.from('x') }] })).toThrow(/files\.0\.path|relative path/);
    expect(() => vm.run({ argv: ['true'], env: { 'BAD NAME': 'x' } })).toThrow(/env/);
  });

  it('reports a program that cannot be executed', async () => {
    const r = await vm.run({ argv: ['/no/such/program'] }).result;
    expect(r.exit.code).toBe(127);
    expect(r.stderr.toString()).toMatch(/cannot execute \/no\/such\/program/);
  });

  it('cancels a running job and answers pings meanwhile', async () => {
    const run = vm.run({ argv: ['sh', '-c', 'echo started; sleep 600'] });
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (run.stdoutSoFar().length > 0) {
          clearInterval(check);
          resolve();
        }
      }, 20);
    });
    expect(await vm.ping()).toBeLessThan(5000);
    vm.cancel('SIGTERM');
    const r = await run.result;
    expect(r.exit.signal).toBe(15);
    expect(r.stdout.toString()).toBe('started\n');
  });
});
