// Builds the guest image: a Debian kernel, busybox-static and our guest agent packed into a
// reproducible initramfs. Output: guest/out/<version>/{vmlinuz,initramfs.cpio.zst,manifest.json}.
// The version is a hash of every input, so an unchanged tree reuses the cached image in milliseconds.
//
//   node guest/build-image.ts [--json] [--force] [--prune]
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zstdCompressSync, constants as zlibConstants } from 'node:zlib';
import { z } from 'zod';
import { writeCpio, type CpioEntry } from './cpio.ts';

const guestDir = dirname(fileURLToPath(import.meta.url));
export const defaultOutDir = join(guestDir, 'out');

/** The guest-channel protocol version the agent in this image speaks. */
export const GUEST_PROTOCOL_VERSION = 1;

/**
 * Virtio drivers the guest loads, in dependency order (they are modules in Debian's kernel): the
 * transports (PCI for q35, MMIO for microvm), the console and the balloon. No block, network or
 * shared-file-system drivers.
 */
const MODULES = ['virtio_ring', 'virtio', 'virtio_pci_modern_dev', 'virtio_pci_legacy_dev', 'virtio_pci', 'virtio_mmio', 'virtio_console', 'virtio_balloon'];

export const imageManifestSchema = z.object({
  schema: z.literal(1),
  version: z.string().regex(/^[0-9a-f]{16}$/),
  protocol: z.number().int().positive(),
  kernel: z.object({ file: z.string(), sha256: z.string().length(64), package: z.string(), release: z.string() }),
  initramfs: z.object({ file: z.string(), sha256: z.string().length(64), bytes: z.number().int().positive() }),
  busybox: z.object({ package: z.string() }),
  modules: z.array(z.string()),
});
export type ImageManifest = z.infer<typeof imageManifestSchema>;

export interface BuiltImage {
  readonly dir: string;
  readonly manifest: ImageManifest;
  /** True when the image was already there. */
  readonly cached: boolean;
}

const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');

function sh(cmd: string, args: string[], opts: { cwd?: string } = {}): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}

/** A .deb from the cache, else fetched with apt-get download (apt lists refreshed once if empty). */
function debFor(pkg: string, debDir: string): string {
  mkdirSync(debDir, { recursive: true });
  const prefix = `${pkg}_`;
  const cached = readdirSync(debDir).filter((f) => f.startsWith(prefix) && f.endsWith('.deb')).sort();
  const newest = cached.at(-1);
  if (newest) return join(debDir, newest);
  try {
    sh('apt-get', ['download', pkg], { cwd: debDir });
  } catch {
    sh('apt-get', ['update']);
    sh('apt-get', ['download', pkg], { cwd: debDir });
  }
  const got = readdirSync(debDir).filter((f) => f.startsWith(prefix) && f.endsWith('.deb')).sort().at(-1);
  if (!got) throw new Error(`apt-get download ${pkg} left no .deb in ${debDir}`);
  return join(debDir, got);
}

/** The versioned kernel package behind the linux-image-amd64 meta package (cached once resolved). */
function kernelPackage(debDir: string): string {
  const cached = readdirSync(debDir, { withFileTypes: true })
    .map((d) => d.name)
    .filter((f) => /^linux-image-\d[^_]*-amd64_.*\.deb$/.test(f) && !f.includes('-cloud-'))
    .sort()
    .at(-1);
  if (cached) return cached.split('_')[0]!;
  const depends = () => sh('apt-cache', ['depends', 'linux-image-amd64']);
  let out = depends();
  if (!/Depends: linux-image-/.test(out)) {
    sh('apt-get', ['update']);
    out = depends();
  }
  const m = /Depends: (linux-image-[^\s]+-amd64)/.exec(out);
  if (!m) throw new Error('cannot resolve linux-image-amd64 to a kernel package (apt-cache depends)');
  return m[1]!;
}

function extract(deb: string, into: string, members: string[]): void {
  mkdirSync(into, { recursive: true });
  execFileSync('sh', ['-c', 'deb="$1"; into="$2"; shift 2; dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$into" --wildcards "$@"', 'sh', deb, into, ...members], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, d.name);
    if (d.isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out;
}

/** The ELF kernel inside a bzImage: Debian compresses it with xz. */
function unpackVmlinux(bzImage: Buffer, work: string): Buffer {
  const at = bzImage.indexOf(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]));
  if (at < 0) throw new Error('no xz stream in the kernel image (is it still CONFIG_KERNEL_XZ?)');
  const xzPath = join(work, 'vmlinux.xz');
  writeFileSync(xzPath, bzImage.subarray(at));
  const elf = execFileSync('xz', ['-dc', '--single-stream', xzPath], { maxBuffer: 512 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] });
  if (elf.subarray(0, 4).toString('latin1') !== '\x7fELF') throw new Error('the unpacked kernel is not an ELF file');
  return elf;
}

export interface BuildOptions {
  readonly outDir?: string;
  readonly force?: boolean;
  readonly progress?: (line: string) => void;
}

export function buildGuestImage(opts: BuildOptions = {}): BuiltImage {
  const outDir = resolve(opts.outDir ?? defaultOutDir);
  const progress = opts.progress ?? (() => {});
  const debDir = join(outDir, 'debs');
  mkdirSync(debDir, { recursive: true });

  const kpkg = kernelPackage(debDir);
  const kernelDeb = debFor(kpkg, debDir);
  const busyboxDeb = debFor('busybox-static', debDir);
  const agentSrc = readFileSync(join(guestDir, 'agent', 'phantom-agent.c'));
  const initSrc = readFileSync(join(guestDir, 'init'));
  const gccVersion = sh('gcc', ['--version']).split('\n')[0] ?? '';
  const version = sha256(
    [
      readFileSync(fileURLToPath(import.meta.url)),
      readFileSync(join(guestDir, 'cpio.ts')),
      agentSrc,
      initSrc,
      basename(kernelDeb),
      basename(busyboxDeb),
      gccVersion,
    ].map((x) => sha256(x)).join('\n'),
  ).slice(0, 16);

  const dir = join(outDir, version);
  const manifestPath = join(dir, 'manifest.json');
  if (!opts.force && existsSync(manifestPath)) {
    return { dir, manifest: imageManifestSchema.parse(JSON.parse(readFileSync(manifestPath, 'utf8'))), cached: true };
  }

  progress(`building guest image ${version} from ${basename(kernelDeb)} and ${basename(busyboxDeb)}`);
  const work = mkdtempSync(join(tmpdir(), 'phantom-guest-'));
  try {
    extract(kernelDeb, join(work, 'k'), ['./boot/vmlinuz-*', './lib/modules/*/kernel/drivers/virtio/*.ko', './lib/modules/*/kernel/drivers/char/virtio_console.ko']);
    extract(busyboxDeb, join(work, 'b'), ['./bin/busybox']);
    const vmlinuz = readdirSync(join(work, 'k', 'boot')).find((f) => f.startsWith('vmlinuz-'));
    if (!vmlinuz) throw new Error(`${basename(kernelDeb)} holds no /boot/vmlinuz-*`);
    const release = vmlinuz.slice('vmlinuz-'.length);
    const kos = new Map(listFiles(join(work, 'k', 'lib')).map((p) => [basename(p, '.ko'), p]));

    const agentBin = join(work, 'phantom-agent');
    sh('gcc', ['-static', '-Os', '-s', '-Wall', '-Wextra', '-Werror', '-ffile-prefix-map=' + guestDir + '=.', '-Wl,--build-id=none', '-o', agentBin, join(guestDir, 'agent', 'phantom-agent.c')]);

    const busyboxPath = join(work, 'b', 'bin', 'busybox');
    const entries: CpioEntry[] = [];
    const dirs = new Set<string>();
    const addDir = (p: string) => {
      for (let d = dirname(p); d !== '.' && d !== '/' && !dirs.has(d); d = dirname(d)) dirs.add(d);
    };
    const addFile = (p: string, mode: number, data: Uint8Array) => {
      addDir(p);
      entries.push({ kind: 'file', path: p, mode, data });
    };
    for (const d of ['dev', 'proc', 'sys', 'tmp', 'run', 'job', 'etc', 'root']) dirs.add(d);
    addFile('init', 0o755, initSrc);
    addFile('bin/busybox', 0o755, readFileSync(busyboxPath));
    addFile('sbin/phantom-agent', 0o755, readFileSync(agentBin));
    addFile('etc/passwd', 0o644, Buffer.from('root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:job:/job:/bin/sh\n'));
    addFile('etc/group', 0o644, Buffer.from('root:x:0:\nnogroup:x:65534:\n'));
    for (const m of MODULES) {
      const ko = kos.get(m);
      if (!ko) throw new Error(`module ${m}.ko not found in ${basename(kernelDeb)}`);
      addFile(`lib/modules/${m}.ko`, 0o644, readFileSync(ko));
    }
    // Busybox applets as symlinks, as `busybox --install -s` would make them at boot (but reproducibly).
    for (const full of sh(busyboxPath, ['--list-full']).split('\n').map((s) => s.trim()).filter(Boolean).sort()) {
      if (full === 'bin/busybox' || full === 'init' || full === 'linuxrc' || full === 'sbin/init') continue;
      addDir(full);
      entries.push({ kind: 'symlink', path: full, target: '/bin/busybox' });
    }
    entries.push({ kind: 'chardev', path: 'dev/console', mode: 0o600, major: 5, minor: 1 });
    entries.push({ kind: 'chardev', path: 'dev/null', mode: 0o666, major: 1, minor: 3 });
    for (const d of dirs) entries.push({ kind: 'dir', path: d, mode: d === 'tmp' ? 0o1777 : 0o755 });

    const cpio = writeCpio(entries);
    const initramfs = zstdCompressSync(cpio, { params: { [zlibConstants.ZSTD_c_compressionLevel]: 12, [zlibConstants.ZSTD_c_checksumFlag]: 1 } });
    // TCG spends seconds unpacking an xz kernel: ship the uncompressed ELF (booted through PVH).
    const kernel = unpackVmlinux(readFileSync(join(work, 'k', 'boot', vmlinuz)), work);

    const stage = join(outDir, `.${version}.${process.pid}.tmp`);
    rmSync(stage, { recursive: true, force: true });
    mkdirSync(stage, { recursive: true });
    writeFileSync(join(stage, 'vmlinux'), kernel);
    writeFileSync(join(stage, 'initramfs.cpio.zst'), initramfs);
    const manifest: ImageManifest = {
      schema: 1,
      version,
      protocol: GUEST_PROTOCOL_VERSION,
      kernel: { file: 'vmlinux', sha256: sha256(kernel), package: basename(kernelDeb), release },
      initramfs: { file: 'initramfs.cpio.zst', sha256: sha256(initramfs), bytes: initramfs.length },
      busybox: { package: basename(busyboxDeb) },
      modules: MODULES,
    };
    writeFileSync(join(stage, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    if (opts.force) rmSync(dir, { recursive: true, force: true });
    try {
      renameSync(stage, dir);
    } catch (e) {
      // Another process (a parallel test worker) published the same version first: the bytes are
      // the same, and its copy may already be in use, so keep it.
      if (!existsSync(manifestPath)) throw e;
      rmSync(stage, { recursive: true, force: true });
    }
    return { dir, manifest, cached: false };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const t0 = performance.now();
  const img = buildGuestImage({ force: args.includes('--force'), progress: (l) => process.stderr.write(`${l}\n`) });
  if (args.includes('--prune')) {
    // Older versions only: never while guests from them may be running.
    for (const d of readdirSync(defaultOutDir)) {
      if (/^[0-9a-f]{16}$/.test(d) && d !== img.manifest.version) rmSync(join(defaultOutDir, d), { recursive: true, force: true });
    }
  }
  const ms = Math.round(performance.now() - t0);
  if (args.includes('--json')) process.stdout.write(`${JSON.stringify({ dir: img.dir, cached: img.cached, ms, ...img.manifest })}\n`);
  else process.stdout.write(`guest image ${img.manifest.version} ${img.cached ? '(cached)' : 'built'} in ${ms} ms: ${img.dir}\n`);
}
