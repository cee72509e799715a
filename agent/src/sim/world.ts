// The simulated world the real node code runs in: virtual time, sites (LANs) grouped into regions,
// per-message latency with jitter, loss, partitions, crashes and restarts, a multicast domain per
// site, an in-memory name service with latency, and the real erasure codec made deterministic.
//
// Bandwidth: overlay messages are small (shards of a few KiB), so links here are latency-only.
// The seam is `transferMs(from, to, bytes)`; the flow-level model in ./flow-network.ts (max-min
// fair sharing) is what a bandwidth-aware version plugs in there for large transfers.
import { EventQueue } from './event-queue.ts';
import { derive, type Random } from './prng.ts';
import type { Clock, ErasureCodec, NameService, NodeRef, TimerHandle, Timers, Transport } from '../core/ports.ts';

/** Virtual time starts here so invite expiry dates look like real dates. */
export const SIM_EPOCH = Date.UTC(2026, 0, 1);

export interface Site {
  readonly index: number;
  readonly region: number;
  /** Position within the region, 0..1: distance adds latency between sites. */
  readonly x: number;
}

export interface Slot {
  readonly id: string;
  readonly ref: NodeRef;
  readonly site: Site;
  up: boolean;
  incarnation: number;
  label: number;
  handler: ((from: NodeRef, raw: unknown) => void) | null;
}

export interface MessageCounters {
  sent: number;
  delivered: number;
  lost: number;
  cut: number;
  toDown: number;
  multicastDeliveries: number;
  byType: Record<string, number>;
  byTier: Record<string, number>;
}

export function tierOf(msg: unknown): string {
  const m = msg as { t?: string; group?: string };
  if (m.t === 'query' || m.t === 'query_hit' || m.t === 'query_done') return 'query';
  if (m.t === 'put' || m.t === 'put_ack' || m.t === 'put_redirect') return 'write';
  if (m.t?.startsWith('flood')) return 'flood';
  if (typeof m.group === 'string' && m.group.startsWith('rg:')) return 'region';
  return 'subgrid';
}

interface PendingOp { promise: Promise<void>; fire: () => void }

export class World {
  readonly queue = new EventQueue();
  readonly slots = new Map<string, Slot>();
  readonly counters: MessageCounters = { sent: 0, delivered: 0, lost: 0, cut: 0, toDown: 0, multicastDeliveries: 0, byType: {}, byTier: {} };
  loss = 0;
  private readonly rand: Random;
  private readonly names = new Map<string, NodeRef>();
  private readonly bySite = new Map<number, Slot[]>();
  private pending: PendingOp[] = [];
  private readonly codec: ErasureCodec;
  /** Per-message hook (the benchmark counts query traffic); null when unused. */
  onSend: ((from: Slot, msg: unknown, to: string | null) => void) | null = null;

  constructor(seed: number, codec: ErasureCodec) {
    this.rand = derive(seed, 'network');
    this.codec = codec;
  }

  get now(): number {
    return this.queue.now;
  }

  addSlot(id: string, site: Site): Slot {
    const slot: Slot = { id, ref: { id, addr: `sim:${id}` }, site, up: false, incarnation: 0, label: 0, handler: null };
    this.slots.set(id, slot);
    let list = this.bySite.get(site.index);
    if (!list) this.bySite.set(site.index, (list = []));
    list.push(slot);
    return slot;
  }

  siteSlots(site: number): readonly Slot[] {
    return this.bySite.get(site) ?? [];
  }

  /** One-way latency in ms for one message (jitter drawn per message). */
  latency(a: Site, b: Site): number {
    if (a.index === b.index) return 0.1 + 0.15 * this.rand();
    if (a.region === b.region) return 12 + 15 * Math.abs(a.x - b.x) + 0.5 * this.rand();
    return 35 + 10 * Math.abs(a.region - b.region) + 2 * this.rand();
  }

  /** The bandwidth seam (see the file comment): latency-only here. */
  transferMs(from: Slot, to: Slot, _bytes: number): number {
    return this.latency(from.site, to.site);
  }

  reachable(a: Slot, b: Slot): boolean {
    return a.label === b.label;
  }

  clock(): Clock {
    return { now: () => SIM_EPOCH + this.queue.now };
  }

  /** Timers die with the incarnation that set them: a crash stops everything a node had scheduled. */
  timers(slot: Slot): Timers {
    const inc = slot.incarnation;
    return {
      set: (ms: number, fn: () => void): TimerHandle => {
        let live = true;
        this.queue.schedule(this.queue.now + Math.max(0, ms), () => {
          if (live && slot.up && slot.incarnation === inc) fn();
        });
        return { cancel: () => (live = false) };
      },
    };
  }

  transport(slot: Slot): Transport {
    const inc = slot.incarnation;
    return {
      self: slot.ref,
      send: (to, msg) => {
        if (slot.up && slot.incarnation === inc) this.send(slot, to.id, msg);
      },
      multicast: (msg) => {
        if (slot.up && slot.incarnation === inc) this.multicast(slot, msg);
      },
      onMessage: (handler) => {
        slot.handler = handler;
      },
    };
  }

  private count(msg: unknown): void {
    const c = this.counters;
    c.sent++;
    const t = (msg as { t?: string }).t ?? '?';
    c.byType[t] = (c.byType[t] ?? 0) + 1;
    const tier = tierOf(msg);
    c.byTier[tier] = (c.byTier[tier] ?? 0) + 1;
  }

  send(from: Slot, toId: string, msg: unknown): void {
    this.count(msg);
    this.onSend?.(from, msg, toId);
    const to = this.slots.get(toId);
    if (!to || !to.up) {
      this.counters.toDown++;
      return;
    }
    if (!this.reachable(from, to)) {
      this.counters.cut++;
      return;
    }
    if (this.loss > 0 && this.rand() < this.loss) {
      this.counters.lost++;
      return;
    }
    const inc = to.incarnation;
    this.queue.schedule(this.queue.now + this.transferMs(from, to, 0), () => {
      if (!to.up || to.incarnation !== inc || !to.handler) return void this.counters.toDown++;
      this.counters.delivered++;
      to.handler(from.ref, msg);
    });
  }

  /** LAN multicast: everyone up on the sender's site and side of any partition. */
  multicast(from: Slot, msg: unknown): void {
    this.count(msg);
    this.onSend?.(from, msg, null);
    for (const to of this.siteSlots(from.site.index)) {
      if (to === from || !to.up || !this.reachable(from, to)) continue;
      if (this.loss > 0 && this.rand() < this.loss) continue;
      const inc = to.incarnation;
      this.counters.multicastDeliveries++;
      this.queue.schedule(this.queue.now + this.latency(from.site, to.site), () => {
        if (to.up && to.incarnation === inc && to.handler) to.handler(from.ref, msg);
      });
    }
  }

  /** The region's DNS server: updates and lookups each take a round trip to it. */
  nameService(slot: Slot): NameService {
    const inc = slot.incarnation;
    const rtt = 10;
    return {
      publish: (name, addr) => {
        this.queue.schedule(this.queue.now + rtt / 2, () => {
          if (slot.up && slot.incarnation === inc) this.names.set(name, addr);
        });
      },
      resolve: (name, done) => {
        this.queue.schedule(this.queue.now + rtt / 2, () => {
          const v = this.names.get(name) ?? null;
          this.queue.schedule(this.queue.now + rtt / 2, () => {
            if (slot.up && slot.incarnation === inc) done(v);
          });
        });
      },
    };
  }

  lookupName(name: string): NodeRef | null {
    return this.names.get(name) ?? null;
  }

  /**
   * The real codec runs in the thread pool and finishes in any order; callbacks are released in
   * issue order, at the virtual time of the event that issued them, once the run loop drains.
   */
  erasure(slot: Slot): ErasureCodec {
    const inc = slot.incarnation;
    const guard = () => slot.up && slot.incarnation === inc;
    const wrap = <A extends unknown[]>(start: (cb: (...a: A) => void) => void, done: (...a: A) => void) => {
      let result: A | null = null;
      const promise = new Promise<void>((resolve) => start((...a: A) => {
        result = a;
        resolve();
      }));
      this.pending.push({ promise, fire: () => guard() && result && done(...result) });
    };
    return {
      encode: (data, k, m, done) => wrap((cb) => this.codec.encode(data, k, m, cb), done),
      reconstruct: (shards, k, m, length, done) => wrap((cb) => this.codec.reconstruct(shards, k, m, length, cb), done),
    };
  }

  get hasPendingWork(): boolean {
    return this.pending.length > 0;
  }

  async drain(): Promise<void> {
    while (this.pending.length) {
      const batch = this.pending;
      this.pending = [];
      await Promise.all(batch.map((p) => p.promise));
      for (const p of batch) p.fire();
    }
  }

  /** Runs events up to `until` (virtual ms), awaiting real codec work between events. */
  async runUntil(until: number, onEvent?: () => void): Promise<void> {
    while (this.queue.peekTime() <= until) {
      const e = this.queue.pop()!;
      e.fn();
      if (this.pending.length) await this.drain();
      onEvent?.();
    }
    if (this.queue.now < until) this.queue.now = until;
  }
}
