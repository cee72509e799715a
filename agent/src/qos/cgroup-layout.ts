// Which cgroup hierarchy this machine offers, found once at start from the mount table. Machines
// with controllers bound to v1 (this build host) keep a v2 mount with no CPU controller in it: a
// controller lives in only one hierarchy, so v1 wins when it has `cpu`.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface V1Mounts {
  /** Mount points (with the test root prefixed) of each controller we use; cpu is required. */
  readonly cpu: string;
  readonly cpuacct: string | null;
  readonly cpuset: string | null;
  readonly memory: string | null;
}

export type CgroupLayout =
  | { readonly kind: 'v1'; readonly mounts: V1Mounts }
  | { readonly kind: 'v2'; readonly mount: string; readonly controllers: readonly string[] }
  | { readonly kind: 'none'; readonly reason: string };

export interface DetectOptions {
  /** Contents of /proc/self/mounts (read when absent). */
  readonly mounts?: string;
  /** Prefixed to every mount point: tests point it at a temp dir laid out like /sys/fs/cgroup. */
  readonly fsRoot?: string;
}

/** Mount points escape space, tab, newline and backslash as octal (\040). */
function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function detectCgroupLayout(opts: DetectOptions = {}): CgroupLayout {
  const fsRoot = opts.fsRoot ?? '';
  let text = opts.mounts;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/mounts', 'utf8');
    } catch (err) {
      return { kind: 'none', reason: `cannot read /proc/self/mounts: ${(err as Error).message}` };
    }
  }
  const v1: Record<string, string> = {};
  let v2: string | null = null;
  for (const line of text.split('\n')) {
    const [, mountPoint, type, options] = line.split(' ');
    if (!mountPoint || !options) continue;
    const at = join(fsRoot, unescapeMount(mountPoint));
    if (type === 'cgroup2') v2 ??= at;
    else if (type === 'cgroup') for (const o of options.split(',')) if (['cpu', 'cpuacct', 'cpuset', 'memory'].includes(o)) v1[o] ??= at;
  }
  if (v1['cpu']) {
    return { kind: 'v1', mounts: { cpu: v1['cpu'], cpuacct: v1['cpuacct'] ?? null, cpuset: v1['cpuset'] ?? null, memory: v1['memory'] ?? null } };
  }
  if (v2) {
    const file = join(v2, 'cgroup.controllers');
    const controllers = existsSync(file) ? readFileSync(file, 'utf8').trim().split(/\s+/).filter(Boolean) : [];
    if (controllers.includes('cpu')) return { kind: 'v2', mount: v2, controllers };
    return { kind: 'none', reason: `cgroup v2 at ${v2} offers no cpu controller (it has: ${controllers.join(' ') || 'none'}) and no v1 cpu hierarchy is mounted` };
  }
  return { kind: 'none', reason: 'no cgroup hierarchy with a cpu controller is mounted' };
}

/** Parses /proc/<pid>/cgroup into v1 controller → path and the v2 path. */
export function parseProcCgroup(text: string): { v1: Record<string, string>; v2: string | null } {
  const v1: Record<string, string> = {};
  let v2: string | null = null;
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === '0' && m[2] === '') v2 = m[3]!;
    else for (const c of m[2]!.split(',')) if (c) v1[c] = m[3]!;
  }
  return { v1, v2 };
}

/** "0-3,6" ⇄ [0,1,2,3,6] as in cpuset.cpus. */
export function formatCpuList(cores: readonly number[]): string {
  const sorted = [...new Set(cores)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(',')) {
    if (!part) continue;
    const [a, b] = part.split('-').map(Number);
    if (a === undefined || Number.isNaN(a)) continue;
    for (let c = a; c <= (b ?? a); c++) out.push(c);
  }
  return out;
}
