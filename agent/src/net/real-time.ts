// Wall-clock time and timers for the overlay outside the simulator.
import type { Clock, Timers } from './transport.ts';

export const realClock: Clock = { now: () => Date.now() };

/** Timers that do not keep the process alive on their own (the agent's servers do). */
export const realTimers: Timers = {
  set(ms, fn) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};
