// The VM host: one guest per job, started with only what the job needs. Loads and checks the guest
// image, finds out once whether KVM works (else TCG), and launches, restores and receives guests.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log.ts';
import { imageManifestSchema, type ImageManifest } from '../../../guest/build-image.ts';
import { sha256File, type CheckpointEntry, type CheckpointMeta, type CheckpointStore } from './checkpoint-store.ts';
import { configHash, hostKhzFromCpuinfo, machineConfig, qemuArgs, vmSpecSchema, type Accel, type VmSpec } from './qemu-command.ts';
import { Vm } from './vm.ts';
import type { JobRun } from './job-run.ts';

export interface VmHostOptions {
  readonly log: Logger;
  /** A built image: guest/out/<version> (see guest/build-image.ts). */
  readonly imageDir: string;
  /** Sockets and per-guest scratch; keep the path short (unix socket paths are limited to 107 bytes). */
  readonly runDir: string;
  readonly qemuPath?: string;
  /** 'auto' probes KVM with a tiny guest and falls back to TCG. */
  readonly accel?: 'auto' | Accel;
  /** Puts a QEMU process into the guests' cgroup (the QoS part provides it). */
  readonly placeProcess?: (pid: number) => void | Promise<void>;
  readonly heartbeatTimeoutMs?: number;
  readonly incomingTimeoutMs?: number;
  readonly bootTimeoutMs?: number;
  /** Debugging: write each guest's kernel console to <runDir>/<id>.console. */
  readonly consoleLogs?: boolean;
}

export interface IncomingMigration {
  /** Resolves once the guest runs here and its agent answered. */
  readonly vm: Promise<Vm>;
}

export interface VmHost {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly accel: Accel;
  readonly image: ImageManifest;
  /** The hash a checkpoint or migration stream of this spec must carry. */
  configHashFor(spec: VmSpec): string;
  boot(spec: VmSpec): Promise<Vm>;
  /** Verifies the checkpoint (metadata, configuration, size, checksum) before QEMU sees it. */
  restore(spec: VmSpec, store: CheckpointStore, entry: CheckpointEntry, resume: JobRun): Promise<{ vm: Vm; meta: CheckpointMeta }>;
  /** Starts a QEMU that waits for a live migration on tcp:127.0.0.1:port. */
  receive(spec: VmSpec, opts: { port: number; resume: JobRun }): Promise<IncomingMigration>;
  /** Guests alive right now. */
  list(): Vm[];
}

/**
 * A 64 KiB BIOS whose reset vector writes 0x31 to the isa-debug-exit port: QEMU then exits with
 * status 99. Exiting that way proves the accelerator actually ran guest code.
 */
function probeBios(): Buffer {
  const b = Buffer.alloc(65536, 0xf4);
  Buffer.from([0xb0, 0x31, 0xe6, 0xf4, 0xf4, 0xeb, 0xfe]).copy(b, 0xfff0);
  return b;
}

async function probeAccel(qemuPath: string, dir: string, accel: Accel): Promise<boolean> {
  const bios = join(dir, 'probe-bios.bin');
  writeFileSync(bios, probeBios());
  return new Promise<boolean>((resolve) => {
    const p = spawn(qemuPath, ['-nodefaults', '-no-user-config', '-M', 'pc', '-accel', accel, '-bios', bios, '-display', 'none', '-nic', 'none', '-device', 'isa-debug-exit,iobase=0xf4,iosize=1'], { stdio: 'ignore' });
    const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
    p.on('error', () => resolve(false));
    p.on('exit', (code) => {
      clearTimeout(t);
      resolve(code === 99);
    });
  });
}

export function createVmHost(opts: VmHostOptions): VmHost {
  const log = opts.log;
  const qemuPath = opts.qemuPath ?? 'qemu-system-x86_64';
  const vms = new Set<Vm>();
  let accel: Accel | null = null;
  let image: ImageManifest | null = null;
  let hostKhz: number | undefined;

  const need = <T>(v: T | null, what: string): T => {
    if (v === null) throw new Error(`VM host not started (${what})`);
    return v;
  };

  async function launch(specIn: VmSpec, extra: { incoming?: { uri: string; started?: () => void }; resume?: JobRun }): Promise<Vm> {
    const spec = vmSpecSchema.parse(specIn);
    const img = need(image, 'image');
    const cfg = machineConfig(spec, img, need(accel, 'accel'));
    const vmDir = join(opts.runDir, `${spec.id}-${randomBytes(3).toString('hex')}`);
    mkdirSync(vmDir, { recursive: true, mode: 0o700 });
    const qmpSocket = join(vmDir, 'qmp.sock');
    const agentSocket = join(vmDir, 'agent.sock');
    const args = qemuArgs({
      imageDir: opts.imageDir,
      image: img,
      cfg,
      name: `phantom-${spec.id}`,
      qmpSocket,
      agentSocket,
      hostKhz,
      ...(extra.incoming ? { incoming: 'defer' as const } : {}),
      ...(opts.consoleLogs ? { consoleLog: join(opts.runDir, `${spec.id}.console`) } : {}),
    });
    const vm = await Vm.launch({
      log: log.child({ vm: spec.id }),
      spec,
      cfg,
      configHash: configHash(cfg),
      qemuPath,
      args,
      vmDir,
      qmpSocket,
      agentSocket,
      placeProcess: opts.placeProcess,
      heartbeatTimeoutMs: opts.heartbeatTimeoutMs ?? 15_000,
      incomingTimeoutMs: opts.incomingTimeoutMs ?? 60_000,
      bootTimeoutMs: opts.bootTimeoutMs ?? 60_000,
      incoming: extra.incoming,
      resume: extra.resume,
      onExit: (v) => vms.delete(v),
    });
    if (vm.alive) vms.add(vm);
    return vm;
  }

  const host: VmHost = {
    get accel() {
      return need(accel, 'accel');
    },
    get image() {
      return need(image, 'image');
    },
    async start() {
      mkdirSync(opts.runDir, { recursive: true, mode: 0o700 });
      const manifest = imageManifestSchema.parse(JSON.parse(readFileSync(join(opts.imageDir, 'manifest.json'), 'utf8')));
      for (const f of [manifest.kernel, manifest.initramfs]) {
        const sum = await sha256File(join(opts.imageDir, f.file));
        if (sum !== f.sha256) throw new Error(`guest image ${manifest.version}: ${f.file} does not match its manifest (rebuild with node guest/build-image.ts --force)`);
      }
      image = manifest;
      try {
        hostKhz = hostKhzFromCpuinfo(readFileSync('/proc/cpuinfo', 'utf8'));
      } catch {
        hostKhz = undefined;
      }
      const want = opts.accel ?? 'auto';
      if (want !== 'auto') accel = want;
      else {
        let kvm: boolean;
        try {
          accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
          kvm = await probeAccel(qemuPath, opts.runDir, 'kvm');
        } catch {
          kvm = false;
        }
        accel = kvm ? 'kvm' : 'tcg';
        if (!kvm) log.warn('KVM is not usable here: guests run under TCG (slower)');
      }
      log.info({ accel, image: manifest.version }, 'VM host started');
    },
    async stop() {
      await Promise.all([...vms].map((v) => v.shutdown()));
      rmSync(join(opts.runDir, 'probe-bios.bin'), { force: true });
    },
    configHashFor(spec) {
      return configHash(machineConfig(vmSpecSchema.parse(spec), need(image, 'image'), need(accel, 'accel')));
    },
    boot: (spec) => launch(spec, {}),
    async restore(spec, store, entry, resume) {
      const meta = await store.verify(entry, host.configHashFor(spec));
      if (!/^[A-Za-z0-9_./+-]+$/.test(entry.dataPath)) throw new Error(`unsafe checkpoint path for a migration pipeline: ${entry.dataPath}`);
      const vm = await launch(spec, { incoming: { uri: `exec:zstd -dc -q ${entry.dataPath}` }, resume });
      return { vm, meta };
    },
    async receive(spec, { port, resume }) {
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`port must be 1–65535, got ${port}`);
      let listening!: () => void;
      const started = new Promise<void>((r) => (listening = r));
      const vm = launch(spec, { incoming: { uri: `tcp:127.0.0.1:${port}`, started: listening }, resume });
      await Promise.race([started, vm]);
      return { vm };
    },
    list: () => [...vms],
  };
  return host;
}

/** Probe exported for tests of the fallback. */
export { probeAccel };
