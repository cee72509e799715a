/**
 * Flow-level network model in virtual time (the model SimGrid and most grid simulators use instead of
 * packets): links have a bandwidth (bytes/s) and a one-way latency (s); a transfer crosses a route of
 * links, waits the route's latency, then streams at the rate max-min fairness gives it. Rates are
 * recomputed only when the set of flows or a link's bandwidth changes, so the cost is per event, not
 * per byte.
 *
 * The model is passive: it never schedules anything itself. A simulator asks `nextEventTime()` and
 * calls `advanceTo(t)`, which returns the transfers that finished by `t` in the order they finished.
 * That keeps it usable from any event loop (the broker experiments, the overlay simulator).
 */
export interface LinkSpec {
  /** Bytes per second; 0 models a link that is down (flows on it stall, nothing is lost). */
  readonly bandwidth: number;
  /** One-way latency in seconds, paid once when a transfer starts. */
  readonly latency: number;
}

export interface TransferSpec<T> {
  readonly route: readonly string[];
  readonly bytes: number;
  readonly tag: T;
}

export interface Completed<T> {
  readonly id: number;
  readonly tag: T;
  readonly at: number;
}

export interface FlowNetwork<T> {
  now(): number;
  addLink(id: string, spec: LinkSpec): void;
  setBandwidth(id: string, bandwidth: number): void;
  link(id: string): LinkSpec | undefined;
  /** Starts a transfer now; returns its id. */
  start(spec: TransferSpec<T>): number;
  /** Stops a transfer; returns the bytes it had left, or undefined if it was not running. */
  cancel(id: number): number | undefined;
  /** Current rate in bytes/s (0 while the transfer is still in its latency phase). */
  rate(id: number): number;
  remaining(id: number): number;
  /** Number of transfers not yet finished. */
  size(): number;
  /** Virtual time of the next completion or activation; Infinity when nothing will happen. */
  nextEventTime(): number;
  /** Moves time forward to `t` (≥ now) and returns every transfer that finished on the way. */
  advanceTo(t: number): Completed<T>[];
}

interface Link {
  readonly id: string;
  bandwidth: number;
  readonly latency: number;
  readonly flows: Set<Flow>;
  // Scratch fields of the water-filling pass.
  cap: number;
  unfixed: number;
  version: number;
}

interface Flow {
  readonly id: number;
  readonly route: readonly Link[];
  readonly tag: unknown;
  readonly bytes: number;
  /** Bytes left at time `since`; progress is applied lazily, only when rates change or someone asks. */
  remaining: number;
  since: number;
  rate: number;
  activeAt: number;
  active: boolean;
  fixed: boolean;
}

// Relative slack for deciding that a flow has finished: float error on remaining/rate accumulates
// over many rate changes, and a flow left with a few nano-bytes must not cost an extra event.
const EPS = 1e-9;

export function createFlowNetwork<T>(opts: { start?: number } = {}): FlowNetwork<T> {
  let now = opts.start ?? 0;
  let nextId = 1;
  let dirty = false;
  // Earliest completion/activation, valid until the flow set or the rates change.
  let cachedNext: number | undefined;
  // Marks which links a recompute has initialised (avoids touching idle links).
  let epoch = 1;
  const heap = new LinkHeap();
  const links = new Map<string, Link>();
  const flows = new Map<number, Flow>();

  function validNumber(name: string, v: number, min: number): void {
    if (!Number.isFinite(v) || v < min) throw new RangeError(`${name} must be a finite number ≥ ${min}, got ${v}`);
  }

  /**
   * Max-min fair rates by progressive filling: repeatedly saturate the link with the smallest fair
   * share. Fixing a flow at a rate no larger than another link's share can only raise that link's
   * share, so a heap entry is a lower bound: when one surfaces, its link's share is recomputed and,
   * if it is no longer the smallest, pushed back once. That keeps a recompute near O(F log L).
   */
  function recompute(): void {
    dirty = false;
    cachedNext = undefined;
    const busy: Link[] = [];
    for (const f of flows.values()) {
      settle(f);
      f.fixed = !f.active;
      f.rate = 0;
      if (!f.active) continue;
      for (const l of f.route) {
        if (l.version !== epoch) {
          l.version = epoch;
          l.cap = l.bandwidth;
          l.unfixed = 0;
          busy.push(l);
        }
        l.unfixed++;
      }
    }
    epoch++;
    heap.clear();
    for (const l of busy) heap.push(l.cap / l.unfixed, l);
    while (heap.size > 0) {
      const key = heap.topKey();
      const l = heap.pop();
      if (l.unfixed === 0) continue;
      const share = Math.max(0, l.cap / l.unfixed);
      if (share > key && heap.size > 0 && share > heap.topKey()) {
        heap.push(share, l);
        continue;
      }
      for (const f of l.flows) {
        if (f.fixed) continue;
        f.fixed = true;
        f.rate = share;
        for (const other of f.route) {
          other.cap = Math.max(0, other.cap - share);
          other.unfixed--;
        }
      }
    }
  }

  function ensureRates(): void {
    if (dirty) recompute();
  }

  /** Applies the progress made since the flow's rate was last set. */
  function settle(f: Flow): void {
    if (f.active && f.since < now) f.remaining = Math.max(0, f.remaining - f.rate * (now - f.since));
    f.since = now;
  }

  function finishTime(f: Flow): number {
    if (!f.active) return f.activeAt;
    if (f.remaining <= f.bytes * EPS) return f.since;
    return f.rate > 0 ? f.since + f.remaining / f.rate : Infinity;
  }

  function nextEvent(): number {
    ensureRates();
    if (cachedNext === undefined) {
      let t = Infinity;
      for (const f of flows.values()) t = Math.min(t, finishTime(f));
      cachedNext = t;
    }
    return cachedNext;
  }

  function detach(f: Flow): void {
    settle(f);
    flows.delete(f.id);
    for (const l of f.route) l.flows.delete(f);
    dirty = true;
    cachedNext = undefined;
  }

  return {
    now: () => now,
    addLink(id, spec) {
      if (links.has(id)) throw new Error(`link ${id} already exists`);
      validNumber(`link ${id} bandwidth`, spec.bandwidth, 0);
      validNumber(`link ${id} latency`, spec.latency, 0);
      links.set(id, { id, bandwidth: spec.bandwidth, latency: spec.latency, flows: new Set(), cap: 0, unfixed: 0, version: 0 });
    },
    setBandwidth(id, bandwidth) {
      const l = links.get(id);
      if (!l) throw new Error(`unknown link ${id}`);
      validNumber(`link ${id} bandwidth`, bandwidth, 0);
      l.bandwidth = bandwidth;
      if (l.flows.size > 0) dirty = true;
    },
    link(id) {
      const l = links.get(id);
      return l && { bandwidth: l.bandwidth, latency: l.latency };
    },
    start(spec) {
      if (spec.route.length === 0) throw new Error('a transfer needs at least one link');
      validNumber('transfer bytes', spec.bytes, 0);
      const route = spec.route.map((id) => {
        const l = links.get(id);
        if (!l) throw new Error(`unknown link ${id}`);
        return l;
      });
      const latency = route.reduce((s, l) => s + l.latency, 0);
      const f: Flow = {
        id: nextId++,
        route,
        tag: spec.tag,
        bytes: spec.bytes,
        remaining: spec.bytes,
        since: now,
        rate: 0,
        activeAt: now + latency,
        active: latency === 0,
        fixed: false,
      };
      flows.set(f.id, f);
      for (const l of route) l.flows.add(f);
      if (f.active) dirty = true;
      cachedNext = undefined;
      return f.id;
    },
    cancel(id) {
      const f = flows.get(id);
      if (!f) return undefined;
      detach(f);
      return f.remaining;
    },
    rate(id) {
      ensureRates();
      return flows.get(id)?.rate ?? 0;
    },
    remaining(id) {
      const f = flows.get(id);
      if (!f) return 0;
      ensureRates();
      return f.active ? Math.max(0, f.remaining - f.rate * (now - f.since)) : f.remaining;
    },
    size: () => flows.size,
    nextEventTime: nextEvent,
    advanceTo(t) {
      if (!Number.isFinite(t)) throw new RangeError(`advanceTo needs a finite time, got ${t}`);
      if (!(t >= now)) throw new RangeError(`cannot go back in time: now ${now}, asked ${t}`);
      const done: Completed<T>[] = [];
      for (;;) {
        const next = nextEvent();
        if (next > t) {
          now = t;
          break;
        }
        now = Math.max(now, next);
        const finished: Flow[] = [];
        for (const f of flows.values()) {
          if (!f.active) {
            if (f.activeAt <= now) {
              f.active = true;
              f.since = now;
              dirty = true;
              cachedNext = undefined;
            }
            continue;
          }
          settle(f);
          // A flow finishes when what is left would take less than a nanosecond-scale sliver.
          if (f.remaining <= f.bytes * EPS || (f.rate > 0 && f.remaining / f.rate <= EPS * Math.max(1, now))) finished.push(f);
        }
        for (const f of finished) {
          f.remaining = 0;
          detach(f);
          done.push({ id: f.id, tag: f.tag as T, at: now });
        }
      }
      return done;
    },
  };
}

/** Binary min-heap of links keyed by fair share (a lower bound of it, see recompute). */
class LinkHeap {
  private readonly keys: number[] = [];
  private readonly links: Link[] = [];

  get size(): number {
    return this.keys.length;
  }

  clear(): void {
    this.keys.length = 0;
    this.links.length = 0;
  }

  topKey(): number {
    return this.keys[0]!;
  }

  push(key: number, link: Link): void {
    const k = this.keys;
    const l = this.links;
    let i = k.length;
    k.push(key);
    l.push(link);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (k[p]! <= key) break;
      k[i] = k[p]!;
      l[i] = l[p]!;
      i = p;
    }
    k[i] = key;
    l[i] = link;
  }

  pop(): Link {
    const k = this.keys;
    const l = this.links;
    const out = l[0]!;
    const lastKey = k.pop()!;
    const lastLink = l.pop()!;
    const n = k.length;
    if (n === 0) return out;
    let i = 0;
    for (;;) {
      const a = 2 * i + 1;
      if (a >= n) break;
      const b = a + 1;
      const m = b < n && k[b]! < k[a]! ? b : a;
      if (k[m]! >= lastKey) break;
      k[i] = k[m]!;
      l[i] = l[m]!;
      i = m;
    }
    k[i] = lastKey;
    l[i] = lastLink;
    return out;
  }
}
