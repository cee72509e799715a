// An overlay node: sign-in, sub-grid choice by RTT, the two group tiers (sub-grid, region),
// resource discovery and writes. Sans-IO: every effect goes through the injected dependencies,
// so this exact code runs in the simulator and over libp2p.
import { availabilityScore, type AvailabilityInput } from './availability.ts';
import { aggregateMaySatisfy, aggregateOf, matches, SeenSet } from './discovery.ts';
import { Group, REGION_TIMING, SUBGRID_TIMING, type GroupEvents, type GroupHost, type GroupTiming, type Tier } from './group.ts';
import { verifyInvite } from './invite.ts';
import type { CoreLog } from './log.ts';
import { make, parseMessage, type JsonValue, type MemberInfo, type Msg, type NodeResources, type QuerySpec, type RejectReason, type WireMessage } from './messages.ts';
import type { Clock, ErasureCodec, NameService, NodeRef, SignatureScheme, TimerHandle, Timers, Transport } from './ports.ts';

export interface OverlayConfig {
  readonly grid: string;
  readonly gridKey: string;
  readonly invite: string;
  readonly region: string;
  /** Every region's name, so a region peer can find the others through the name service. */
  readonly regions: readonly string[];
  readonly res: NodeResources;
  readonly vos: readonly string[];
  /** Join the best sub-grid only if its super-peer answers within this round trip (LAN default 20 ms). */
  readonly rttThresholdMs: number;
  readonly solicitMs: number;
  readonly announceMs: number;
  readonly queryTimeoutMs: number;
  readonly queryRetryMs: number;
  readonly subgridTiming: GroupTiming;
  readonly regionTiming: GroupTiming;
}

export const DEFAULT_OVERLAY: Pick<OverlayConfig, 'rttThresholdMs' | 'solicitMs' | 'announceMs' | 'queryTimeoutMs' | 'queryRetryMs' | 'subgridTiming' | 'regionTiming'> = {
  rttThresholdMs: 20,
  solicitMs: 600,
  announceMs: 15_000,
  queryTimeoutMs: 7_000,
  queryRetryMs: 1_400,
  subgridTiming: SUBGRID_TIMING,
  regionTiming: REGION_TIMING,
};

/** What the node tells its host (the agent's status, the simulator's invariant checks). */
export interface NodeEvents {
  leaderReady?(tier: Tier, group: string, term: number, how: string, hash: string | null, version: number): void;
  lostLeadership?(tier: Tier, group: string): void;
  committed?(tier: Tier, group: string, version: number, hash: string, wids: string[]): void;
  refused?(reason: string): void;
  rejected?(reason: RejectReason, detail: string): void;
  joined?(group: string, leader: NodeRef): void;
  dnsPublished?(name: string): void;
}

export interface OverlayDeps {
  readonly transport: Transport;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly random: () => number;
  readonly erasure: ErasureCodec;
  readonly signatures: SignatureScheme;
  readonly names: NameService;
  readonly log: CoreLog;
  /** Free resources, uptime and failure history, sampled when the score is needed. */
  readonly availability: () => AvailabilityInput;
  readonly events?: NodeEvents;
}

export type Phase = 'stopped' | 'discovering' | 'probing' | 'joining' | 'member' | 'leader' | 'refused';

export interface QueryResult {
  qid: string;
  spec: QuerySpec;
  count: number;
  hits: Array<{ node: NodeRef; res: NodeResources; vos: string[] }>;
  duplicates: number;
  latencyMs: number;
}

interface PendingQuery { spec: QuerySpec; count: number; hits: Map<string, { node: NodeRef; res: NodeResources; vos: string[] }>; dupes: number; started: number; timer: TimerHandle; retry: TimerHandle | null; attempt: number; perAttempt: Map<string, Set<string>>; done: (r: QueryResult) => void; qid: string }
interface Forward { q: Msg<'query'>; remaining: number; batch: Set<string>; timer: TimerHandle | null; candidates: Array<{ group: string; ref: NodeRef }>; regions: string[]; region: boolean }
interface RegionJoin { target: NodeRef | null; tries: number; timer: TimerHandle | null; reResolved: boolean }
interface PendingPut { key: string; value: JsonValue; tries: number; timer: TimerHandle | null; done: (r: { ok: boolean; version?: number; group?: string }) => void }

export const regionName = (grid: string, region: string) => `${region}.region.${grid}`;

export class OverlayNode {
  readonly self: NodeRef;
  readonly sub: Group;
  readonly region: Group;
  phase: Phase = 'stopped';
  readonly stats = { rejected: 0, rejectedBy: {} as Record<string, number>, joins: 0, refusals: 0, queriesStarted: 0, queriesAnswered: 0 };

  private readonly cfg: OverlayConfig;
  private readonly d: OverlayDeps;
  private candidates = new Map<string, { leader: NodeRef; term: number; score: number; sent: number; rtt: number | null; nonce: number }>();
  private phaseTimer: TimerHandle | null = null;
  private announceTimer: TimerHandle | null = null;
  private nameTimer: TimerHandle | null = null;
  private selfInfoTimer: TimerHandle | null = null;
  private regionJoin: RegionJoin | null = null;
  private joinAttempts = 0;
  private nonce = 0;
  private seq = 0;
  private foundings = 0;
  private readonly queries = new Map<string, PendingQuery>();
  private readonly forwards = new Map<string, Forward>();
  private readonly seenSub = new SeenSet(60_000);
  private readonly seenRegion = new SeenSet(60_000);
  private readonly puts = new Map<string, PendingPut>();
  private readonly regionPeers = new Map<string, { ref: NodeRef | null; at: number }>();

  constructor(cfg: OverlayConfig, deps: OverlayDeps) {
    this.cfg = cfg;
    this.d = deps;
    this.self = deps.transport.self;
    const host: GroupHost = {
      self: this.self,
      clock: deps.clock,
      timers: deps.timers,
      erasure: deps.erasure,
      log: deps.log,
      random: deps.random,
      send: (to, m) => this.send(to, m),
      score: () => this.score(),
      info: (tier) => this.info(tier),
      invite: () => cfg.invite,
    };
    this.sub = new Group({ tier: 'subgrid', id: 'sg:none', host, events: this.groupEvents('subgrid'), timing: cfg.subgridTiming });
    this.region = new Group({ tier: 'region', id: `rg:${cfg.region}`, host, events: this.groupEvents('region'), timing: cfg.regionTiming });
    deps.transport.onMessage((from, raw) => this.receive(from, raw));
  }

  score(): number {
    return availabilityScore(this.d.availability());
  }

  info(tier: Tier): MemberInfo {
    if (tier === 'subgrid') return { kind: 'node', res: this.cfg.res, vos: [...this.cfg.vos] };
    const nodes = this.sub.members().flatMap((m) => (m.info.kind === 'node' ? [{ res: m.info.res, vos: m.info.vos }] : []));
    return { kind: 'subgrid', subgrid: this.sub.id, agg: aggregateOf(nodes) };
  }

  start(): void {
    const own = verifyInvite(this.cfg.invite, { grid: this.cfg.grid, gridKey: this.cfg.gridKey, now: this.d.clock.now(), nodeId: this.self.id }, this.d.signatures);
    if (!own.ok) return this.refuse(own.reason);
    const extra = this.cfg.vos.find((v) => !own.invite.vos.includes(v));
    if (extra) return this.refuse(`invite: does not cover virtual organisation ${extra}`);
    this.discover();
  }

  stop(): void {
    for (const t of [this.phaseTimer, this.announceTimer, this.nameTimer, this.selfInfoTimer, this.regionJoin?.timer]) t?.cancel();
    for (const q of this.queries.values()) q.timer.cancel();
    for (const f of this.forwards.values()) f.timer?.cancel();
    for (const p of this.puts.values()) p.timer?.cancel();
    this.sub.shutdown();
    this.region.shutdown();
    this.phase = 'stopped';
  }

  private refuse(reason: string): void {
    this.phase = 'refused';
    this.stats.refusals++;
    this.d.log.warn({ reason }, 'not signed in');
    this.d.events?.refused?.(reason);
  }

  private send(to: NodeRef, m: WireMessage): void {
    this.d.transport.send(to, m);
  }

  // ───────────────────────────── receive ─────────────────────────────

  receive(from: NodeRef, raw: unknown): void {
    if (this.phase === 'stopped') return;
    const p = parseMessage(raw);
    if (!p.ok) {
      this.stats.rejected++;
      this.stats.rejectedBy[p.reason] = (this.stats.rejectedBy[p.reason] ?? 0) + 1;
      this.d.log.warn({ from: from.id, reason: p.reason, detail: p.detail }, 'message rejected');
      this.d.events?.rejected?.(p.reason, p.detail);
      return;
    }
    const m = p.msg;
    if (this.phase === 'refused') return;
    switch (m.t) {
      case 'ping': return this.send(from, make('pong', { nonce: m.nonce }));
      case 'pong': return this.onPong(from, m);
      case 'solicit': return this.onSolicit(from, m);
      case 'announce': return this.onAnnounce(from, m);
      case 'join_ack': return this.onJoinAck(from, m);
      case 'join_refused': return this.onJoinRefused(from, m);
      case 'put_ack': return this.onPutAck(m);
      case 'put_redirect': return this.onPutRedirect(m);
      case 'query': return this.onQuery(from, m);
      case 'query_hit': return this.onQueryHit(m);
      case 'query_done': return this.onQueryDone(from, m);
      case 'not_member':
        if (m.group.startsWith('rg:') && this.regionJoin?.target?.id === from.id) return this.onRegionNotMember(m);
        return (m.group.startsWith('rg:') ? this.region : this.sub).handle(from, m);
      default: {
        const g = m.group.startsWith('rg:') ? this.region : this.sub;
        // Only super-peers take part in their region.
        if (g === this.region && !this.sub.isLeader) {
          if (this.region.role !== 'idle') this.leaveRegion();
          if (m.t === 'join' || m.t === 'refresh') this.send(from, make('not_member', { group: m.group, term: this.region.term, leader: null }));
          return;
        }
        if (m.t === 'join' && g === this.sub && m.group !== this.sub.id && this.sub.isLeader) {
          return this.send(from, make('not_member', { group: m.group, term: this.sub.term, leader: this.self }));
        }
        g.handle(from, m);
      }
    }
  }

  // ──────────────────────────── joining ────────────────────────────

  private setPhaseTimer(ms: number, fn: () => void): void {
    this.phaseTimer?.cancel();
    this.phaseTimer = this.d.timers.set(ms, () => {
      this.phaseTimer = null;
      // A leader may adopt a joining node before its join is acknowledged (it stores shards, or is
      // handed the leadership): then this node is in a group and must not go looking again.
      if (this.sub.role !== 'idle') {
        if (this.phase !== 'leader') this.phase = 'member';
        return;
      }
      fn();
    });
  }

  /** Ask the LAN who leads a sub-grid (mDNS on a real LAN); answers arrive as announcements. */
  private discover(): void {
    this.phase = 'discovering';
    this.candidates.clear();
    this.d.transport.multicast(make('solicit', { grid: this.cfg.grid }));
    this.setPhaseTimer(this.cfg.solicitMs * (1 + this.d.random()), () => this.probe());
  }

  private onSolicit(from: NodeRef, m: Msg<'solicit'>): void {
    if (m.grid !== this.cfg.grid || !this.sub.isLeader) return;
    this.send(from, this.announcement());
  }

  private announcement(): Msg<'announce'> {
    return make('announce', { grid: this.cfg.grid, group: this.sub.id, term: this.sub.term, leader: this.self, score: this.score(), region: this.cfg.region });
  }

  private onAnnounce(from: NodeRef, m: Msg<'announce'>): void {
    if (m.grid !== this.cfg.grid || m.leader.id === this.self.id) return;
    if (this.phase === 'discovering') {
      const known = this.candidates.get(m.group);
      if (!known || m.term > known.term) this.candidates.set(m.group, { leader: m.leader, term: m.term, score: m.score, sent: 0, rtt: null, nonce: 0 });
      return;
    }
    // Two leaders on one LAN, or a member that missed a coordinator: the group code decides.
    if (this.sub.isLeader || (this.sub.role === 'member' && m.group === this.sub.id)) this.sub.meetLeader(m.leader, m.term, m.score, m.group);
  }

  /** Measure the round trip to every super-peer heard of; the join goes to the nearest under the threshold. */
  private probe(): void {
    if (this.candidates.size === 0) return this.found();
    this.phase = 'probing';
    for (const c of this.candidates.values()) {
      c.nonce = ++this.nonce;
      c.sent = this.d.clock.now();
      this.send(c.leader, make('ping', { nonce: c.nonce }));
    }
    this.setPhaseTimer(this.cfg.rttThresholdMs * 2 + 50, () => this.choose());
  }

  private onPong(from: NodeRef, m: Msg<'pong'>): void {
    if (this.phase !== 'probing') return;
    for (const c of this.candidates.values()) if (c.leader.id === from.id && c.nonce === m.nonce) c.rtt = this.d.clock.now() - c.sent;
    if ([...this.candidates.values()].every((c) => c.rtt !== null)) this.choose();
  }

  private choose(): void {
    if (this.phase !== 'probing') return;
    const best = [...this.candidates.entries()]
      .filter(([, c]) => c.rtt !== null && c.rtt < this.cfg.rttThresholdMs)
      .sort((a, b) => a[1].rtt! - b[1].rtt! || (a[0] < b[0] ? -1 : 1))[0];
    if (!best) return this.found();
    this.join(best[0], best[1].leader);
  }

  private join(group: string, leader: NodeRef): void {
    this.phase = 'joining';
    this.joinAttempts++;
    this.sub.stop();
    this.sub.id = group;
    this.send(leader, make('join', { group, invite: this.cfg.invite, info: this.info('subgrid'), score: this.score() }));
    this.setPhaseTimer(1_500, () => (this.joinAttempts >= 3 ? this.found() : this.discover()));
  }

  private onJoinAck(from: NodeRef, m: Msg<'join_ack'>): void {
    if (m.group.startsWith('rg:')) return this.onRegionJoinAck(from, m);
    if (this.phase !== 'joining' || m.group !== this.sub.id) return;
    this.phaseTimer?.cancel();
    this.joinAttempts = 0;
    this.phase = 'member';
    this.stats.joins++;
    this.sub.followLeader(m.leader, m.term, 0, m.group);
    this.d.events?.joined?.(m.group, m.leader);
  }

  private onJoinRefused(_from: NodeRef, m: Msg<'join_refused'>): void {
    if (m.group.startsWith('rg:')) {
      this.d.log.warn({ region: m.group, reason: m.reason }, 'region peer refused this super-peer');
      return;
    }
    if (this.phase !== 'joining') return;
    this.phaseTimer?.cancel();
    this.refuse(m.reason);
  }

  /** No super-peer near enough: this node founds a sub-grid and leads it. */
  private found(): void {
    this.phaseTimer?.cancel();
    this.joinAttempts = 0;
    this.foundings++;
    // Unique across restarts too: a restarted node must not revive an old group's name with an empty state.
    this.sub.found(`sg:${this.self.id}:${Math.floor(this.d.clock.now()).toString(36)}${this.foundings}`);
  }

  // ─────────────────────────── group events ───────────────────────────

  private groupEvents(tier: Tier): GroupEvents {
    return {
      becameLeader: (g, how) => {
        this.d.events?.leaderReady?.(tier, g.id, g.term, how, how === 'elected' ? (g.regenerated?.hash ?? null) : g.currentHash(), g.state?.version ?? 0);
        if (tier === 'subgrid') {
          this.phaseTimer?.cancel();
          this.phaseTimer = null;
          this.phase = 'leader';
          this.d.transport.multicast(this.announcement());
          this.announceTimer?.cancel();
          this.announceTimer = this.every(this.cfg.announceMs, () => this.sub.isLeader && this.d.transport.multicast(this.announcement()));
          this.joinRegion();
        } else {
          this.regionJoin?.timer?.cancel();
          this.regionJoin = null;
          this.publishRegionName();
        }
      },
      lostLeadership: (g) => {
        this.d.events?.lostLeadership?.(tier, g.id);
        if (tier === 'subgrid') {
          this.announceTimer?.cancel();
          this.announceTimer = null;
          this.phase = 'member';
          this.leaveRegion();
        } else {
          this.nameTimer?.cancel();
          this.nameTimer = null;
        }
      },
      lostGroup: (g, why) => {
        this.d.log.info({ group: g.id, why }, 'lost my group');
        if (tier === 'subgrid') {
          g.stop();
          this.discover();
        } else if (this.sub.isLeader) {
          g.stop();
          this.joinRegion();
        } else g.stop();
      },
      membersChanged: () => {
        if (tier === 'subgrid') this.selfInfoChanged();
      },
      committed: (g, version, hash, wids) => this.d.events?.committed?.(tier, g.id, version, hash, wids),
      verifyJoin: (from, invite, info) => {
        const r = verifyInvite(invite, { grid: this.cfg.grid, gridKey: this.cfg.gridKey, now: this.d.clock.now(), nodeId: from.id }, this.d.signatures);
        if (!r.ok) return r.reason;
        if (info.kind !== (tier === 'subgrid' ? 'node' : 'subgrid')) return `join: a ${info.kind} cannot join a ${tier}`;
        if (info.kind === 'node') {
          const extra = info.vos.find((v) => !r.invite.vos.includes(v));
          if (extra) return `invite: does not cover virtual organisation ${extra}`;
        }
        return null;
      },
    };
  }

  private every(ms: number, fn: () => void): TimerHandle {
    let h: TimerHandle;
    const tick = () => {
      h = this.d.timers.set(ms, tick);
      fn();
    };
    h = this.d.timers.set(ms, tick);
    return { cancel: () => h.cancel() };
  }

  /** The sub-grid changed: its region peer gets the new aggregate soon (debounced). */
  private selfInfoChanged(): void {
    if (this.selfInfoTimer || !this.sub.isLeader) return;
    this.selfInfoTimer = this.d.timers.set(1_000, () => {
      this.selfInfoTimer = null;
      if (this.sub.isLeader) this.region.updateSelf();
    });
  }

  // ───────────────────────────── regions ─────────────────────────────

  private get regionDns(): string {
    return regionName(this.cfg.grid, this.cfg.region);
  }

  /** A new super-peer finds its region peer by name and registers its sub-grid; no name: it founds the region. */
  private joinRegion(): void {
    if (!this.sub.isLeader || this.region.isLeader) return;
    this.regionJoin?.timer?.cancel();
    const rj: RegionJoin = { target: null, tries: 0, timer: null, reResolved: false };
    this.regionJoin = rj;
    const lookup = () => this.d.names.resolve(this.regionDns, (addr) => {
      if (this.regionJoin !== rj || !this.sub.isLeader) return;
      if (this.region.role !== 'idle') return void (this.regionJoin = null);
      if (!addr) return this.foundRegion();
      if (addr.id === this.self.id) {
        // My own old entry: whoever took the region from me is about to publish; look once more.
        if (rj.reResolved) return this.foundRegion();
        rj.reResolved = true;
        rj.timer = this.d.timers.set(1_000, lookup);
        return;
      }
      rj.target = addr;
      this.sendRegionJoin(rj);
    });
    lookup();
  }

  private sendRegionJoin(rj: RegionJoin): void {
    if (this.regionJoin !== rj || !rj.target || !this.sub.isLeader) return;
    // Adopted meanwhile (shards stored, a coordinator, a handover): the join is moot.
    if (this.region.role !== 'idle') {
      this.regionJoin = null;
      return;
    }
    rj.tries++;
    this.region.id = `rg:${this.cfg.region}`;
    this.send(rj.target, make('join', { group: this.region.id, invite: this.cfg.invite, info: this.info('region'), score: this.score() }));
    rj.timer = this.d.timers.set(this.cfg.regionTiming.refreshTimeoutMs, () => {
      if (this.regionJoin !== rj) return;
      // The named region peer is silent: its region may be electing a successor that republishes
      // the name; after long enough with no answer this super-peer takes the region itself.
      if (rj.tries < 3) return this.sendRegionJoin(rj);
      if (rj.tries < 6) {
        rj.timer = this.d.timers.set(2_000, () => {
          this.d.names.resolve(this.regionDns, (addr) => {
            if (this.regionJoin !== rj) return;
            if (!addr || addr.id === this.self.id) return this.foundRegion();
            rj.target = addr;
            this.sendRegionJoin(rj);
          });
        });
        return;
      }
      this.foundRegion();
    });
  }

  private onRegionJoinAck(from: NodeRef, m: Msg<'join_ack'>): void {
    if (!this.regionJoin || !this.sub.isLeader) return;
    this.regionJoin.timer?.cancel();
    this.regionJoin = null;
    this.region.followLeader(m.leader, m.term, 0, m.group);
  }

  /**
   * The named region peer does not lead the region (any more): try the leader it names; else the
   * name may be about to change (a successor publishes it), so look it up once more before taking
   * the region.
   */
  private onRegionNotMember(m: Msg<'not_member'>): void {
    const rj = this.regionJoin!;
    rj.timer?.cancel();
    if (m.leader && m.leader.id !== this.self.id && rj.tries < 6) {
      rj.target = m.leader;
      return this.sendRegionJoin(rj);
    }
    if (rj.reResolved) return this.foundRegion();
    rj.reResolved = true;
    const stale = rj.target?.id;
    rj.timer = this.d.timers.set(1_000, () => {
      this.d.names.resolve(this.regionDns, (addr) => {
        if (this.regionJoin !== rj) return;
        if (this.region.role !== 'idle') return void (this.regionJoin = null);
        if (!addr || addr.id === this.self.id || addr.id === stale) return this.foundRegion();
        rj.target = addr;
        this.sendRegionJoin(rj);
      });
    });
  }

  private foundRegion(): void {
    this.regionJoin?.timer?.cancel();
    this.regionJoin = null;
    if (!this.sub.isLeader || this.region.role !== 'idle') return;
    this.region.found(`rg:${this.cfg.region}`);
  }

  private leaveRegion(): void {
    this.regionJoin?.timer?.cancel();
    this.regionJoin = null;
    if (this.region.role === 'member' && this.region.leader) this.send(this.region.leader, make('leave', { group: this.region.id }));
    if (this.region.isLeader) this.region.handOff(this.sub.role === 'member' && this.sub.leader ? this.sub.leader : undefined);
    else this.region.stop();
  }

  /** The region peer publishes its own address under the region's name, and checks it stays there. */
  private publishRegionName(): void {
    this.d.names.publish(this.regionDns, this.self);
    this.d.events?.dnsPublished?.(this.regionDns);
    this.nameTimer?.cancel();
    const check = () => {
      if (!this.region.isLeader) return;
      this.d.names.resolve(this.regionDns, (addr) => {
        if (!this.region.isLeader || addr?.id === this.self.id) return;
        // Someone else holds the name: the two leaders settle it (terms, then ids), the winner republishes.
        if (addr) this.send(addr, make('claim', { group: this.region.id, term: this.region.term, leader: this.self, score: this.score() }));
        this.d.names.publish(this.regionDns, this.self);
      });
    };
    // Soon after taking the name (two super-peers may have founded the region at once), then periodically.
    const first = this.d.timers.set(1_000 + 500 * this.d.random(), check);
    const periodic = this.every(10_000, check);
    this.nameTimer = { cancel: () => (first.cancel(), periodic.cancel()) };
  }

  // ───────────────────────────── writes ─────────────────────────────

  /** Writes key=value into this sub-grid's replicated state; `done` reports the acknowledgement. */
  put(key: string, value: JsonValue, done: (r: { ok: boolean; version?: number; group?: string }) => void): string {
    const wid = `${this.self.id}:w${++this.seq}`;
    this.puts.set(wid, { key, value, tries: 0, timer: null, done });
    this.sendPut(wid);
    return wid;
  }

  private sendPut(wid: string): void {
    const p = this.puts.get(wid);
    if (!p) return;
    p.timer?.cancel();
    if (p.tries++ >= 6) {
      this.puts.delete(wid);
      return p.done({ ok: false });
    }
    if (this.sub.isLeader) {
      const group = this.sub.id;
      this.sub.write(p.key, p.value, wid, null, (version) => this.finishPut(wid, version, group));
    } else if (this.sub.role === 'member' && this.sub.leader) {
      this.send(this.sub.leader, make('put', { group: this.sub.id, key: p.key, value: p.value, wid }));
    }
    p.timer = this.d.timers.set(2_000, () => this.sendPut(wid));
  }

  private finishPut(wid: string, version: number, group: string): void {
    const p = this.puts.get(wid);
    if (!p) return;
    p.timer?.cancel();
    this.puts.delete(wid);
    p.done({ ok: true, version, group });
  }

  private onPutAck(m: Msg<'put_ack'>): void {
    this.finishPut(m.wid, m.version, m.group);
  }

  private onPutRedirect(m: Msg<'put_redirect'>): void {
    const p = this.puts.get(m.wid);
    if (!p) return;
    p.timer?.cancel();
    p.timer = this.d.timers.set(300, () => this.sendPut(m.wid));
  }

  // ───────────────────────────── discovery ─────────────────────────────

  /** Finds `count` nodes matching `spec`; answers come straight from the super-peers that have them. */
  query(spec: QuerySpec, count: number, done: (r: QueryResult) => void): string {
    const qid = `${this.self.id}:q${++this.seq}`;
    this.stats.queriesStarted++;
    const pq: PendingQuery = {
      qid, spec, count, hits: new Map(), dupes: 0, started: this.d.clock.now(), done, retry: null, attempt: 0, perAttempt: new Map(),
      timer: this.d.timers.set(this.cfg.queryTimeoutMs, () => this.finishQuery(qid)),
    };
    this.queries.set(qid, pq);
    this.queryAttempt(pq);
    return qid;
  }

  /**
   * Datagrams get lost, so an unanswered query is asked again under a new attempt id (leaders
   * answer each id once). Answers are merged by node: a late answer to an earlier attempt is not
   * a duplicate; the same node twice within one attempt is.
   */
  private queryAttempt(pq: PendingQuery): void {
    if (!this.queries.has(pq.qid) || pq.hits.size >= pq.count) return;
    const id = `${pq.qid}#${++pq.attempt}`;
    pq.perAttempt.set(id, new Set());
    const q = make('query', { qid: id, origin: this.self, spec: pq.spec, count: pq.count, need: pq.count - pq.hits.size, stage: 'local', replyTo: null, visited: [] });
    if (this.sub.isLeader) this.onQuery(this.self, q);
    else if (this.sub.leader && this.sub.role === 'member') this.send(this.sub.leader, q);
    pq.retry = this.d.timers.set(this.cfg.queryRetryMs, () => this.queryAttempt(pq));
  }

  private finishQuery(qid: string): void {
    const pq = this.queries.get(qid);
    if (!pq) return;
    pq.timer.cancel();
    pq.retry?.cancel();
    this.queries.delete(qid);
    if (pq.hits.size >= pq.count) this.stats.queriesAnswered++;
    pq.done({ qid, spec: pq.spec, count: pq.count, hits: [...pq.hits.values()], duplicates: pq.dupes, latencyMs: this.d.clock.now() - pq.started });
  }

  private onQueryHit(m: Msg<'query_hit'>): void {
    const base = m.qid.replace(/#\d+$/, '');
    const pq = this.queries.get(base);
    const attempt = pq?.perAttempt.get(m.qid);
    if (!pq || !attempt) return;
    for (const h of m.matches) {
      if (attempt.has(h.node.id)) pq.dupes++;
      attempt.add(h.node.id);
      if (!pq.hits.has(h.node.id)) pq.hits.set(h.node.id, h);
    }
    if (pq.hits.size >= pq.count) this.finishQuery(base);
  }

  /** Members of my sub-grid that match, the requester excluded. */
  private localMatches(q: Msg<'query'>, limit: number) {
    const out: Array<{ node: NodeRef; res: NodeResources; vos: string[] }> = [];
    for (const m of this.sub.members().sort((a, b) => (a.id < b.id ? -1 : 1))) {
      if (out.length >= limit) break;
      if (m.id === q.origin.id || m.info.kind !== 'node') continue;
      if (matches(q.spec, m.info.res, m.info.vos)) out.push({ node: { id: m.id, addr: m.addr }, res: m.info.res, vos: m.info.vos });
    }
    return out;
  }

  private onQuery(from: NodeRef, q: Msg<'query'>): void {
    const now = this.d.clock.now();
    if (q.stage === 'local' || q.stage === 'subgrid') {
      if (!this.sub.isLeader) {
        // Asked as a super-peer but no longer one: pass it on rather than lose it.
        if (q.stage === 'local' && this.sub.role === 'member' && this.sub.leader && from.id === q.origin.id) this.send(this.sub.leader, q);
        else if (q.replyTo) this.send(q.replyTo, make('query_done', { qid: q.qid, group: this.sub.id, found: 0 }));
        return;
      }
      if (!this.seenSub.first(q.qid, now)) return;
      const found = this.localMatches(q, q.need);
      if (found.length) this.deliverHit(q.origin, make('query_hit', { qid: q.qid, group: this.sub.id, matches: found }));
      if (q.stage === 'subgrid') {
        if (q.replyTo) this.deliver(q.replyTo, make('query_done', { qid: q.qid, group: this.sub.id, found: found.length }));
        return;
      }
      if (found.length >= q.need) return;
      const fwd = make('query', { ...q, need: q.need - found.length, stage: 'region', visited: [this.sub.id] });
      if (this.region.isLeader) this.onQuery(this.self, fwd);
      else if (this.region.role === 'member' && this.region.leader) this.send(this.region.leader, fwd);
      return;
    }
    // stage region (from a super-peer of this region) or remote (from another region's peer)
    if (!this.region.isLeader) {
      if (q.replyTo) this.send(q.replyTo, make('query_done', { qid: q.qid, group: this.region.id, found: 0 }));
      return;
    }
    if (!this.seenRegion.first(q.qid, now)) return;
    const candidates = this.region
      .members()
      .flatMap((m) => (m.info.kind === 'subgrid' && !q.visited.includes(m.info.subgrid) && aggregateMaySatisfy(q.spec, m.info.agg) ? [{ group: m.info.subgrid, ref: { id: m.id, addr: m.addr }, nodes: m.info.agg.nodes }] : []))
      .sort((a, b) => b.nodes - a.nodes || (a.group < b.group ? -1 : 1));
    const regions = q.stage === 'region' ? this.cfg.regions.filter((r) => r !== this.cfg.region) : [];
    const f: Forward = { q, remaining: q.need, batch: new Set(), timer: null, candidates, regions, region: q.stage === 'region' };
    this.forwards.set(q.qid, f);
    this.forwardNext(f);
  }

  /** Ask sub-grids of this region whose aggregates can satisfy the query, a few at a time, then other regions. */
  private forwardNext(f: Forward): void {
    f.timer?.cancel();
    f.batch.clear();
    if (f.remaining <= 0) return this.endForward(f);
    if (f.candidates.length) {
      let cover = 0;
      while (f.candidates.length && cover < f.remaining) {
        const c = f.candidates.shift()!;
        cover += 1;
        f.batch.add(c.group);
        this.deliver(c.ref, make('query', { ...f.q, need: f.remaining, stage: 'subgrid', replyTo: this.self, visited: [] }));
      }
      f.timer = this.d.timers.set(this.cfg.regionTiming.electionMs * 2 + 200, () => this.forwardNext(f));
      return;
    }
    const next = f.regions.shift();
    if (next === undefined) return this.endForward(f);
    f.batch.add(`rg:${next}`);
    this.regionPeer(next, (peer) => {
      if (!this.forwards.has(f.q.qid) || !f.batch.has(`rg:${next}`)) return;
      if (!peer) return this.forwardNext(f);
      this.send(peer, make('query', { ...f.q, need: f.remaining, stage: 'remote', replyTo: this.self, visited: [] }));
    });
    f.timer = this.d.timers.set(1_500, () => this.forwardNext(f));
  }

  private endForward(f: Forward): void {
    f.timer?.cancel();
    this.forwards.delete(f.q.qid);
    if (f.q.stage === 'remote' && f.q.replyTo) this.send(f.q.replyTo, make('query_done', { qid: f.q.qid, group: this.region.id, found: f.q.need - Math.max(0, f.remaining) }));
  }

  private onQueryDone(_from: NodeRef, m: Msg<'query_done'>): void {
    const f = this.forwards.get(m.qid);
    if (!f || !f.batch.has(m.group)) return;
    f.batch.delete(m.group);
    f.remaining -= m.found;
    if (f.batch.size === 0 || f.remaining <= 0) this.forwardNext(f);
  }

  /** Other regions' peers by name, cached briefly (a failover republishes the name). */
  private regionPeer(region: string, done: (ref: NodeRef | null) => void): void {
    const c = this.regionPeers.get(region);
    const now = this.d.clock.now();
    if (c && now - c.at < 10_000) return done(c.ref);
    this.d.names.resolve(regionName(this.cfg.grid, region), (ref) => {
      this.regionPeers.set(region, { ref, at: this.d.clock.now() });
      done(ref);
    });
  }

  /** Messages to myself (a region peer is also a super-peer) skip the network. */
  private deliver(to: NodeRef, m: WireMessage): void {
    if (to.id === this.self.id) this.receive(this.self, m);
    else this.send(to, m);
  }

  private deliverHit(to: NodeRef, m: Msg<'query_hit'>): void {
    this.deliver(to, m);
  }
}
