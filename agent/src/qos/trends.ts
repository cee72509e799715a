// Short- and long-window trends of a series (CPU percent of a process or a core): two
// exponentially weighted moving averages and the least-squares slope of the last few samples.
// Pure: time comes with each value.

export interface TrendOptions {
  /** Time constant of the short average, seconds. */
  readonly shortSeconds: number;
  /** Time constant of the long average, seconds. */
  readonly longSeconds: number;
  /** Samples the slope is fitted over (≥ 2). */
  readonly slopeSamples: number;
}

export const DEFAULT_TREND_OPTIONS: TrendOptions = { shortSeconds: 5, longSeconds: 60, slopeSamples: 10 };

export interface Trend {
  readonly last: number;
  readonly short: number;
  readonly long: number;
  /** Units per second over the last slopeSamples samples; 0 until there are two. */
  readonly slope: number;
  readonly samples: number;
}

interface Series {
  short: number;
  long: number;
  lastT: number;
  samples: number;
  /** Ring buffers of the last slopeSamples (t seconds, value). */
  ts: Float64Array;
  vs: Float64Array;
  last: number;
}

export interface TrendSet<K> {
  /** Adds a value at time tMs (ms, monotonic) and returns the updated trend. */
  update(key: K, value: number, tMs: number): Trend;
  get(key: K): Trend | undefined;
  /** Forgets every key not in `alive` (exited processes). */
  retain(alive: (key: K) => boolean): void;
  readonly size: number;
}

export function leastSquaresSlope(ts: ArrayLike<number>, vs: ArrayLike<number>, n: number): number {
  if (n < 2) return 0;
  let st = 0, sv = 0;
  for (let i = 0; i < n; i++) { st += ts[i]!; sv += vs[i]!; }
  const mt = st / n, mv = sv / n;
  let num = 0, den = 0;
  for (let i = 0; i < n; i++) {
    const dt = ts[i]! - mt;
    num += dt * (vs[i]! - mv);
    den += dt * dt;
  }
  return den === 0 ? 0 : num / den;
}

export function createTrendSet<K>(opts: TrendOptions = DEFAULT_TREND_OPTIONS): TrendSet<K> {
  if (opts.slopeSamples < 2) throw new RangeError('slopeSamples must be at least 2');
  const series = new Map<K, Series>();
  const view = (s: Series): Trend => {
    const n = Math.min(s.samples, opts.slopeSamples);
    return { last: s.last, short: s.short, long: s.long, slope: leastSquaresSlope(s.ts, s.vs, n), samples: s.samples };
  };
  return {
    update(key, value, tMs) {
      const t = tMs / 1000;
      let s = series.get(key);
      if (!s) {
        s = { short: value, long: value, lastT: t, samples: 0, ts: new Float64Array(opts.slopeSamples), vs: new Float64Array(opts.slopeSamples), last: value };
        series.set(key, s);
      } else {
        // Irregular sampling: weight by elapsed time so a late sample counts for the time it covers.
        const dt = Math.max(0, t - s.lastT);
        s.short += (1 - Math.exp(-dt / opts.shortSeconds)) * (value - s.short);
        s.long += (1 - Math.exp(-dt / opts.longSeconds)) * (value - s.long);
        s.lastT = t;
      }
      const i = s.samples % opts.slopeSamples;
      s.ts[i] = t;
      s.vs[i] = value;
      s.samples++;
      s.last = value;
      return view(s);
    },
    get(key) {
      const s = series.get(key);
      return s && view(s);
    },
    retain(alive) {
      for (const k of series.keys()) if (!alive(k)) series.delete(k);
    },
    get size() {
      return series.size;
    },
  };
}
