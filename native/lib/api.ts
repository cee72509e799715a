import { z } from 'zod';
import { NativeAddonMissingError, NativeArgumentError, NativeError, UnsupportedPlatformError } from './errors.ts';
import { loadAddon, locateAddon } from './loader.ts';
import { decodeCoreTimes, decodeSweep, isRawSysError, type RawBinding } from './raw.ts';
import type { CoreTimes, Sweep, SweepOptions } from './types.ts';

/** Operating systems with a backend in native/src/<os>/. */
const BACKENDS: ReadonlySet<string> = new Set(['linux']);

export interface NativeApiOptions {
  /** Where the addon is; by default located afresh at each load attempt (see locateAddon). */
  readonly addonPath?: string;
  /** Loads the raw binding (default: require addonPath). Throws when it cannot. */
  readonly load?: (path: string) => RawBinding;
  /** process.platform unless given. */
  readonly platform?: string;
}

export interface NativeApi {
  /** Per-core ticks from /proc/stat, read synchronously. */
  cpuTimes(): CoreTimes[];
  /** One pass over every process (and thread) on a worker thread. */
  sweep(options?: SweepOptions): Promise<Sweep>;
  /** Cores the thread may run on, ascending. */
  getAffinity(tid: number): number[];
  /** Restricts the thread to the given cores. */
  setAffinity(tid: number, cores: readonly number[]): void;
  /** CPUs the OS is configured for: cores are numbered 0 … cpuCount() - 1. */
  cpuCount(): number;
  /** Why the addon cannot be used, or null when it can; never throws. */
  nativeAddonError(): string | null;
}

const Tid = z.number({ error: 'must be a number' }).int({ error: 'must be an integer' }).min(1, { error: 'must be a thread id >= 1' }).max(2 ** 31 - 1, { error: 'must be a thread id below 2^31' });
const Cores = z.array(z.number({ error: 'must be a number' }).int({ error: 'must be an integer' }).min(0, { error: 'must be a core number >= 0' }), { error: 'must be an array of core numbers' }).min(1, { error: 'must name at least one core' });
const Options = z.object({ threads: z.boolean({ error: 'must be a boolean' }).optional() }, { error: 'must be an object' }).optional();

function parse<T>(argument: string, schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const where = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
  throw new NativeArgumentError(`${argument}${where}`, `${issue.message} (got ${describe(value, issue.path)})`);
}

function describe(value: unknown, path: readonly PropertyKey[]): string {
  let v = value;
  for (const p of path) v = (v as Record<PropertyKey, unknown> | undefined)?.[p];
  return Array.isArray(v) ? `[${v.join(', ')}]` : typeof v === 'string' ? JSON.stringify(v) : String(v);
}

export function createNativeApi(options: NativeApiOptions = {}): NativeApi {
  const load = options.load ?? loadAddon;
  const platform = options.platform ?? process.platform;
  let loaded: RawBinding | undefined;

  // Loads on first use (not at import), so the agent starts without the addon and a build that
  // finishes later is picked up; a failed load is retried on the next call.
  function binding(): RawBinding {
    if (!BACKENDS.has(platform)) throw new UnsupportedPlatformError(platform);
    if (loaded) return loaded;
    const addonPath = options.addonPath ?? locateAddon();
    let b: RawBinding;
    try {
      b = load(addonPath);
    } catch (err) {
      throw new NativeAddonMissingError(addonPath, err);
    }
    if (b.backend === '') throw new UnsupportedPlatformError(platform);
    loaded = b;
    return b;
  }

  function translate(err: unknown): never {
    if (isRawSysError(err)) {
      if (err.unsupported) throw new UnsupportedPlatformError(platform);
      throw new NativeError(err.message, err.errno, err.syscall);
    }
    throw err;
  }

  function call<T>(f: (b: RawBinding) => T): T {
    const b = binding();
    try {
      return f(b);
    } catch (err) {
      return translate(err);
    }
  }

  const api: NativeApi = {
    cpuTimes: () => call((b) => decodeCoreTimes(b.cpuTimes())),

    async sweep(opts?: SweepOptions) {
      const o = parse('options', Options, opts);
      const b = binding();
      try {
        return decodeSweep(await b.sweep(o?.threads ?? true));
      } catch (err) {
        return translate(err);
      }
    },

    getAffinity(tid: number) {
      const t = parse('tid', Tid, tid);
      return call((b) => b.getAffinity(t));
    },

    setAffinity(tid: number, cores: readonly number[]) {
      const t = parse('tid', Tid, tid);
      const list = parse('cores', Cores, cores);
      call((b) => {
        const n = b.cpuCount();
        list.forEach((c, i) => {
          if (c >= n) throw new NativeArgumentError(`cores[${i}]`, `core ${c} is beyond this machine's ${n} CPUs (0-${n - 1})`);
        });
        b.setAffinity(t, [...new Set(list)]);
      });
    },

    cpuCount: () => call((b) => b.cpuCount()),

    nativeAddonError() {
      try {
        binding();
        return null;
      } catch (err) {
        return (err as Error).message;
      }
    },
  };
  return api;
}
