// A throwaway guest image for the cgroup v2 test: the project's guest kernel and an initramfs of
// busybox, this Node binary (with its shared libraries) and the QoS sources.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeCpio, type CpioEntry } from '../../guest/cpio.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
export const QEMU = '/usr/bin/qemu-system-x86_64';
export const BUSYBOX = '/bin/busybox';

/** The newest guest kernel already built in guest/out (building one is the guest image's job). */
export function guestKernel(): string | null {
  const out = join(repo, 'guest/out');
  if (!existsSync(out)) return null;
  const kernels = readdirSync(out)
    .filter((d) => existsSync(join(out, d, 'manifest.json')))
    .map((d) => {
      const m = JSON.parse(readFileSync(join(out, d, 'manifest.json'), 'utf8')) as { kernel: { file: string } };
      return join(out, d, m.kernel.file);
    })
    .filter((f) => existsSync(f));
  return kernels[0] ?? null;
}

const INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t cgroup2 cgroup2 /sys/fs/cgroup
cd /qos && /node/bin/node test/qos/v2-guest-probe.ts
poweroff -f
`;

function libsOf(binary: string): string[] {
  const out = execFileSync('ldd', [binary], { encoding: 'utf8' });
  return [...out.matchAll(/(\/\S+) \(0x/g)].map((m) => m[1]!);
}

export function buildInitramfs(dir: string): string {
  const entries: CpioEntry[] = [];
  const dirs = new Set<string>();
  const addDir = (p: string) => {
    for (let d = p; d !== '/' && d !== '.'; d = dirname(d)) {
      if (dirs.has(d)) break;
      dirs.add(d);
      entries.push({ kind: 'dir', path: d, mode: 0o755 });
    }
  };
  const addFile = (path: string, data: Uint8Array, mode = 0o644) => {
    addDir(dirname(path));
    entries.push({ kind: 'file', path, mode, data });
  };
  for (const d of ['/proc', '/sys', '/dev', '/tmp', '/bin']) addDir(d);
  addFile('/init', Buffer.from(INIT), 0o755);
  addFile('/bin/busybox', readFileSync(BUSYBOX), 0o755);
  addFile('/bin/sh', readFileSync(BUSYBOX), 0o755);
  addFile('/node/bin/node', readFileSync(realpathSync(process.execPath)), 0o755);
  for (const lib of libsOf(process.execPath)) addFile(lib, readFileSync(realpathSync(lib)), 0o755);
  addFile('/qos/package.json', Buffer.from('{"type":"module"}\n'));
  for (const f of readdirSync(join(repo, 'agent/src/qos'))) {
    if (f.endsWith('.ts') && !f.endsWith('.test.ts')) addFile(`/qos/agent/src/qos/${f}`, readFileSync(join(repo, 'agent/src/qos', f)));
  }
  addFile('/qos/test/qos/v2-guest-probe.ts', readFileSync(join(repo, 'test/qos/v2-guest-probe.ts')));
  const file = join(dir, 'initramfs.cpio');
  writeFileSync(file, writeCpio(entries));
  return file;
}

