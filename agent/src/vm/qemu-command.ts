// The QEMU command line for one guest, and the hash of everything in it that a checkpoint or a
// migration stream depends on. Pure so that both ends of a migration derive the same machine.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import type { ImageManifest } from '../../../guest/build-image.ts';

export const AGENT_PORT_NAME = 'org.phantomgrid.agent';

export const vmSpecSchema = z.object({
  /** Names the guest's run directory and QEMU's process name. */
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,48}$/, 'id is 1–48 of [A-Za-z0-9_.-]'),
  vcpus: z.number().int().min(1).max(64),
  /** Memory the job asked for; the guest's MemTotal is at least this much (see qemuMemoryMiB). */
  memoryMiB: z.number().int().min(64).max(64 * 1024),
});
export type VmSpec = z.infer<typeof vmSpecSchema>;

export type Accel = 'kvm' | 'tcg';

/**
 * What QEMU is given: the request plus the kernel's own share (≈48 MiB for code, data and page
 * tables, plus ~2% for struct pages), so a job asking for N MiB sees about N MiB as MemTotal.
 */
export function qemuMemoryMiB(requestedMiB: number): number {
  return requestedMiB + 64 + Math.ceil(requestedMiB / 40);
}

export interface MachineConfig {
  readonly imageVersion: string;
  readonly accel: Accel;
  readonly vcpus: number;
  readonly memoryMiB: number;
  readonly machine: string;
  readonly devices: readonly string[];
}

const MACHINE = 'microvm,x-option-roms=off,isa-serial=off,rtc=on';
const DEVICES = ['virtio-serial-device,max_ports=2', `virtserialport,chardev=agent,name=${AGENT_PORT_NAME}`, 'virtio-balloon-device'];

export function machineConfig(spec: VmSpec, image: ImageManifest, accel: Accel): MachineConfig {
  return { imageVersion: image.version, accel, vcpus: spec.vcpus, memoryMiB: qemuMemoryMiB(spec.memoryMiB), machine: MACHINE, devices: DEVICES };
}

/** Checkpoints and migration streams only load into a machine with the same hash. */
export function configHash(cfg: MachineConfig): string {
  return createHash('sha256').update(JSON.stringify(cfg)).digest('hex');
}

export interface CommandOptions {
  readonly imageDir: string;
  readonly image: ImageManifest;
  readonly cfg: MachineConfig;
  readonly name: string;
  readonly qmpSocket: string;
  readonly agentSocket: string;
  /** `defer`: wait for migrate-incoming (restore or live migration). */
  readonly incoming?: 'defer';
  /** The host's TSC rate: TCG guests otherwise calibrate it, slowly and sometimes never. */
  readonly hostKhz?: number;
  /** Debugging only: the kernel console to a file. */
  readonly consoleLog?: string;
}

export function qemuArgs(o: CommandOptions): string[] {
  const cmdline = ['quiet', 'panic=-1', 'mitigations=off', 'i8042.noaux', 'i8042.nokbd', 'i8042.nopnp', 'i8042.dumbkbd'];
  if (o.hostKhz) cmdline.push(`tsc_early_khz=${o.hostKhz}`, `lpj=${Math.round((o.hostKhz * 1000) / 250)}`);
  const machine = o.consoleLog ? o.cfg.machine.replace('isa-serial=off', 'isa-serial=on') : o.cfg.machine;
  if (o.consoleLog) cmdline.push('console=ttyS0');
  const args = [
    '-name', `${o.name},debug-threads=on`,
    '-nodefaults', '-no-user-config', '-no-reboot',
    '-M', machine,
    '-accel', o.cfg.accel,
    '-cpu', o.cfg.accel === 'kvm' ? 'host' : 'max',
    '-smp', String(o.cfg.vcpus),
    '-m', `${o.cfg.memoryMiB}M`,
    '-nic', 'none',
    '-display', 'none', '-vga', 'none',
    // spawn stays allowed: checkpoints go through an exec: migration pipeline.
    '-sandbox', 'on,obsolete=deny,elevateprivileges=deny,resourcecontrol=deny,spawn=allow',
    '-kernel', join(o.imageDir, o.image.kernel.file),
    '-initrd', join(o.imageDir, o.image.initramfs.file),
    '-append', cmdline.join(' '),
    '-qmp', `unix:${o.qmpSocket},server=on,wait=off`,
    '-chardev', `socket,id=agent,path=${o.agentSocket},server=on,wait=off`,
    // Start paused: the host connects to the channel before the guest can write to it.
    '-S',
  ];
  for (const d of o.cfg.devices) args.push('-device', d);
  if (o.consoleLog) args.push('-serial', `file:${o.consoleLog}`);
  if (o.incoming) args.push('-incoming', o.incoming);
  return args;
}

/** Host TSC rate in kHz from /proc/cpuinfo text (first "cpu MHz" line). */
export function hostKhzFromCpuinfo(cpuinfo: string): number | undefined {
  const m = /^cpu MHz\s*:\s*([\d.]+)/m.exec(cpuinfo);
  return m ? Math.round(Number(m[1]) * 1000) : undefined;
}
