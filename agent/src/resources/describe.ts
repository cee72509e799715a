import si from 'systeminformation';
import type { ResourceDescription } from '../../../contract/index.ts';
import { measureFlops } from './flops.ts';

/** Inventory from systeminformation (not the hot path: it is slow) plus a measured FLOPS figure. */
export async function describeResources(opts: { flopsBudgetMs?: number } = {}): Promise<ResourceDescription> {
  const [cpu, mem, os] = await Promise.all([si.cpu(), si.mem(), si.osInfo()]);
  return {
    cores: cpu.cores,
    cpuModel: `${cpu.manufacturer} ${cpu.brand}`.trim(),
    memoryMiB: Math.floor(mem.total / (1024 * 1024)),
    flops: measureFlops(opts.flopsBudgetMs ?? 50),
    os: `${os.distro} ${os.release}`.trim(),
    arch: os.arch,
  };
}
