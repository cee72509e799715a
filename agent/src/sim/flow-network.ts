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
  const links = new Map<string, Link>();
  const flows = new Map<number, Flow>();

  function validNumber(name: string, v: number, min: number): void {
    if (!Number.isFinite(v) || v < min) throw new RangeError(`${name} must be a finite number ≥ ${min}, got ${v}`);
  }

  /** Max-min fair rates by progressive filling: repeatedly saturate the link with the smallest fair share. */
  function recompute(): void {
    dirty = false;
    cachedNext = undefined;
    for (const f of flows.values()) settle(f);
    const heap = new LinkHeap();
    for (const l of links.values()) {
      l.cap = l.bandwidth;
      l.unfixed = 0;
      l.version++;
    }
    for (const f of flows.values()) {
      f.fixed = !f.active;
      f.rate = 0;
      if (f.active) for (const l of f.route) l.unfixed++;
    }
    for (const l of links.values()) if (l.unfixed > 0) heap.push(l.cap / l.unfixed, l, l.version);
    for (;;) {
      const top = heap.pop();
      if (!top) break;
      const l = top.link;
      if (top.version !== l.version || l.unfixed === 0) continue;
      const share = Math.max(0, l.cap / l.unfixed);
      for (const f of l.flows) {
        if (f.fixed) continue;
        f.fixed = true;
        f.rate = share;
        for (const other of f.route) {
          other.cap = Math.max(0, other.cap - share);
          other.unfixed--;
          if (other !== l && other.unfixed > 0) {
            other.version++;
            heap.push(other.cap / other.unfixed, other, other.version);
          }
        }
      }
      l.version++;
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

/** Binary min-heap of links keyed by fair share; stale entries are skipped by version. */
class LinkHeap {
  private readonly keys: number[] = [];
  private readonly links: Link[] = [];
  private readonly versions: number[] = [];

  push(key: number, link: Link, version: number): void {
    const k = this.keys;
    let i = k.length;
    k.push(key);
    this.links.push(link);
    this.versions.push(version);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (k[p]! <= key) break;
      this.swap(i, p);
      i = p;
    }
  }

  pop(): { link: Link; version: number } | undefined {
    const k = this.keys;
    if (k.length === 0) return undefined;
    const out = { link: this.links[0]!, version: this.versions[0]! };
    const last = k.length - 1;
    this.swap(0, last);
    k.pop();
    this.links.pop();
    this.versions.pop();
    let i = 0;
    for (;;) {
      const a = 2 * i + 1;
      const b = a + 1;
      let m = i;
      if (a < k.length && k[a]! < k[m]!) m = a;
      if (b < k.length && k[b]! < k[m]!) m = b;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
    return out;
  }

  private swap(i: number, j: number): void {
    const k = this.keys;
    const l = this.links;
    const v = this.versions;
    const tk = k[i]!;
    k[i] = k[j]!;
    k[j] = tk;
    const tl = l[i]!;
    l[i] = l[j]!;
    l[j] = tl;
    const tv = v[i]!;
    v[i] = v[j]!;
    v[j] = tv;
  }
}
