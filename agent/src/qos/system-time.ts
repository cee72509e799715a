// The real clock and timers behind the Clock/Timers seams (net/transport.ts), for wiring the
// QoS component into the running agent. Tests inject their own.
import type { Clock, Timers } from '../net/transport.ts';

export const systemClock: Clock = { now: () => performance.now() };

export const systemTimers: Timers = {
  set(ms, fn) {
    const t = setTimeout(fn, ms);
    // A pending sample must not keep a stopping agent alive.
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};
