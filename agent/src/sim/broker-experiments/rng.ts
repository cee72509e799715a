/**
 * Seeded random numbers for the broker experiments (mulberry32: tiny, fast, good enough for
 * drawing platforms and event times; every run with the same seed is the same run).
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  uniform(lo: number, hi: number): number;
  /** Log-uniform in [lo, hi]: uniform in the exponent, so each decade is equally likely. */
  logUniform(lo: number, hi: number): number;
  /** Exponential with the given mean. */
  exponential(mean: number): number;
  /** An independent stream derived from this one (so adding draws to one part leaves others unchanged). */
  fork(label: number): Rng;
}

export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    logUniform: (lo, hi) => Math.exp(Math.log(lo) + (Math.log(hi) - Math.log(lo)) * next()),
    exponential: (mean) => -mean * Math.log(1 - next()),
    fork: (label) => createRng(Math.imul((seed ^ 0x9e3779b9) >>> 0, 2654435761) ^ Math.imul(label + 1, 0x85ebca6b)),
  };
}
