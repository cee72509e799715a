import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { UsageSample } from '../../../contract/index.ts';
import type { CoreTimes } from '../../../native/lib/index.ts';
import type { CgroupLayout } from '../qos/cgroup-layout.ts';

export interface UsageSources {
  /** Per-core kernel times (native cpuTimes). */
  cpuTimes(): CoreTimes[];
  /** The guests' group, relative to each hierarchy root (QoS status); null = no guests' group. */
  guestGroup(): string | null;
  layout: CgroupLayout | null;
  now(): number;
  /** Owner and grid memory, MiB. */
  memory(): { ownerMiB: number; gridMiB: number };
}

const busyTicks = (c: CoreTimes) => c.user + c.nice + c.system + c.irq + c.softirq + c.steal;
const totalTicks = (c: CoreTimes) => busyTicks(c) + c.idle + c.iowait;

/** ns of CPU the guests' group used on each core (cgroup v1 cpuacct.usage_percpu); null where unknown. */
function guestPerCpuNs(layout: CgroupLayout | null, group: string | null): number[] | null {
  if (!layout || layout.kind !== 'v1' || !layout.mounts.cpuacct || !group) return null;
  try {
    return readFileSync(join(layout.mounts.cpuacct, group, 'cpuacct.usage_percpu'), 'utf8').trim().split(/\s+/).map(Number);
  } catch {
    return null;
  }
}

/**
 * The dashboard's "owner vs grid" history: each core's busy share from /proc/stat, of which the
 * guests' part comes from their cgroup's per-CPU accounting; the rest is the owner's (and the
 * system's). Where the kernel has no per-CPU accounting (cgroup v2) the guests' total is spread
 * evenly over the cores — said so in the docs, not hidden.
 */
export function createUsageHistory(src: UsageSources, keep = 300) {
  const samples: UsageSample[] = [];
  let prev: { cores: CoreTimes[]; guestNs: number[] | null; t: number } | null = null;
  return {
    sample(): void {
      const cores = src.cpuTimes();
      const guestNs = guestPerCpuNs(src.layout, src.guestGroup());
      const t = src.now();
      if (prev && prev.cores.length === cores.length) {
        const dtNs = (t - prev.t) * 1e6;
        const perCore = cores.map((c, i) => {
          const p = prev!.cores[i]!;
          const total = totalTicks(c) - totalTicks(p);
          const busy = total > 0 ? ((busyTicks(c) - busyTicks(p)) / total) * 100 : 0;
          let grid = 0;
          if (guestNs && prev!.guestNs && dtNs > 0) grid = ((guestNs[i]! - (prev!.guestNs[i] ?? 0)) / dtNs) * 100;
          grid = Math.min(Math.max(grid, 0), busy);
          return { owner: Math.round((busy - grid) * 10) / 10, grid: Math.round(grid * 10) / 10 };
        });
        const mem = src.memory();
        samples.push({ t: Math.round(t), cores: perCore, ownerMemMiB: Math.round(mem.ownerMiB), gridMemMiB: Math.round(mem.gridMiB) });
        if (samples.length > keep) samples.shift();
      }
      prev = { cores, guestNs, t };
    },
    history: () => ({ samples: [...samples] }),
  };
}
