// One self-healing group: a leader and its members. The same machine runs both tiers of the
// overlay: a sub-grid (leader = super-peer, members = nodes) and a region (leader = region peer,
// members = super-peers). It covers
//   - membership with leases (join, refresh, leave, expiry),
//   - the mirror: every state change is serialized, erasure-coded (k data + m parity) and stored on
//     the top-ranked members before anything it contains is acknowledged,
//   - failure detection (heartbeats to the two best-ranked holders only, so idle cost stays flat),
//   - a bully election on the availability ranking, fenced by terms: a holder accepts shards only
//     from the leader of the highest term it knows, so a stale leader cannot commit after a heal,
//   - regeneration of the exact state from any k shards of the newest committed version,
//   - planned handover to a better machine, and merging two leaders' states when they meet.
import { compareRank, HANDOVER_MARGIN } from './availability.ts';
import { fromBase64, toBase64 } from './bytes.ts';
import { chooseCode, emptyState, mergeInto, parseState, serializeState, stateHash, MAX_HOLDERS, type GroupState } from './group-state.ts';
import type { CoreLog } from './log.ts';
import { make, type JsonValue, type MemberInfo, type Msg, type ShardMeta, type WireMessage } from './messages.ts';
import type { Clock, ErasureCodec, NodeRef, TimerHandle, Timers } from './ports.ts';
import { fingerprint } from './bytes.ts';

export type Tier = 'subgrid' | 'region';
export type Role = 'idle' | 'member' | 'candidate' | 'regenerating' | 'leader' | 'handing-over';

export interface GroupTiming {
  heartbeatMs: number;
  /** No heartbeat for this long: the watcher suspects the leader. */
  suspectMs: number;
  /** How long a candidate waits for a higher-ranked node to answer. */
  electionMs: number;
  /** After this, regenerate from k shards of the newest committed version even if some holders have not answered. */
  regenWaitMs: number;
  regenHardMs: number;
  storeRetryMs: number;
  storeTries: number;
  flushDelayMs: number;
  refreshMs: number;
  refreshTimeoutMs: number;
  leaseMs: number;
}

export const SUBGRID_TIMING: GroupTiming = {
  heartbeatMs: 300, suspectMs: 700, electionMs: 100, regenWaitMs: 150, regenHardMs: 2_000,
  storeRetryMs: 120, storeTries: 3, flushDelayMs: 10, refreshMs: 30_000, refreshTimeoutMs: 1_000, leaseMs: 95_000,
};

/** Region peers talk across sites (tens of ms): longer waits, same structure; few members, so they refresh more often. */
export const REGION_TIMING: GroupTiming = {
  heartbeatMs: 300, suspectMs: 700, electionMs: 150, regenWaitMs: 200, regenHardMs: 3_000,
  storeRetryMs: 300, storeTries: 3, flushDelayMs: 20, refreshMs: 10_000, refreshTimeoutMs: 2_000, leaseMs: 35_000,
};

export interface GroupEvents {
  becameLeader(g: Group, how: 'founded' | 'elected' | 'handover' | 'empty'): void;
  lostLeadership(g: Group): void;
  /** A member whose leader is gone for good (refresh unanswered, not a member any more). */
  lostGroup(g: Group, why: string): void;
  /** The leader's member list or a member's info changed (region aggregates follow). */
  membersChanged(g: Group): void;
  committed(g: Group, version: number, hash: string, wids: string[]): void;
  /** Checks a join; returns a refusal reason or null. */
  verifyJoin(from: NodeRef, invite: string, info: MemberInfo): string | null;
}

export interface GroupHost {
  readonly self: NodeRef;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly erasure: ErasureCodec;
  readonly log: CoreLog;
  readonly random: () => number;
  send(to: NodeRef, m: WireMessage): void;
  score(): number;
  info(tier: Tier): MemberInfo;
  invite(): string;
}

interface Waiter { kind: 'join' | 'put'; wid: string; to: NodeRef | null; done?: (version: number) => void }
interface Inflight { version: number; meta: ShardMeta; bytes: Uint8Array; shards: string[] | null; acks: Set<string>; writes: Waiter[]; tries: number; timer: TimerHandle | null }
interface StoredShard { meta: ShardMeta; index: number; data: string }
interface Regen { asked: NodeRef[]; responses: Map<string, StoredShard[]>; started: number; timer: TimerHandle | null; deciding: boolean; oldLeader: string | null }

type GroupMsg = Extract<WireMessage, { group: string }>;

export class Group {
  readonly tier: Tier;
  id: string;
  role: Role = 'idle';
  term = 0;
  leader: NodeRef | null = null;
  leaderScore = 0;

  // Leader side.
  state: GroupState | null = null;
  committedVersion = 0;
  committedMeta: ShardMeta | null = null;
  private readonly lastSeen = new Map<string, number>();
  private readonly suspects = new Set<string>();
  private dirty = false;
  private flushTimer: TimerHandle | null = null;
  private inflight: Inflight | null = null;
  private waiting: Waiter[] = [];
  private hbTimer: TimerHandle | null = null;
  private leaseTimer: TimerHandle | null = null;
  private handoverTo: { ref: NodeRef; tries: number; timer: TimerHandle | null } | null = null;

  // Member side.
  private readonly shards = new Map<number, StoredShard>();
  knownCommitted = 0;
  /** The version and byte hash of the last state this node rebuilt from shards (equal to what its predecessor committed). */
  regenerated: { version: number; hash: string } | null = null;
  private latestMeta: ShardMeta | null = null;
  private suspicion: TimerHandle | null = null;
  private lastHeard = 0;
  private refreshTimer: TimerHandle | null = null;
  private refreshWait: TimerHandle | null = null;
  private refreshMisses = 0;
  private electionTimer: TimerHandle | null = null;
  private regen: Regen | null = null;
  private merges = new Map<string, { ref: NodeRef; bytes: string; tries: number; timer: TimerHandle | null }>();

  readonly stats = { elections: 0, becameLeader: 0, regenerations: 0, regenEmpty: 0, handovers: 0, stepDowns: 0, commits: 0, encodes: 0 };

  private readonly host: GroupHost;
  private readonly events: GroupEvents;
  private readonly timing: GroupTiming;

  constructor(init: { tier: Tier; id: string; host: GroupHost; events: GroupEvents; timing: GroupTiming }) {
    this.tier = init.tier;
    this.id = init.id;
    this.host = init.host;
    this.events = init.events;
    this.timing = init.timing;
  }

  get isLeader(): boolean {
    return this.role === 'leader';
  }

  /** Members as the leader knows them (leader only). */
  members(): Array<{ id: string; addr: string; score: number; info: MemberInfo }> {
    if (!this.state) return [];
    return Object.entries(this.state.members).map(([id, r]) => ({ id, ...r }));
  }

  /** Stops every timer: the node crashed, stopped or left this group. */
  stop(): void {
    if (this.role === 'leader' || this.role === 'handing-over') this.stopLeading();
    for (const t of [this.flushTimer, this.hbTimer, this.leaseTimer, this.suspicion, this.refreshTimer, this.refreshWait, this.electionTimer, this.regen?.timer, this.inflight?.timer, this.handoverTo?.timer]) t?.cancel();
    // Pending merges (state handed to a winning leader) outlive leaving the group: that state may
    // exist nowhere else. shutdown() ends them.
    this.flushTimer = this.hbTimer = this.leaseTimer = this.suspicion = this.refreshTimer = this.refreshWait = this.electionTimer = null;
    this.regen = null;
    this.inflight = null;
    this.handoverTo = null;
    this.role = 'idle';
    this.leader = null;
  }

  /** Stops everything, pending merges included (the node is shutting down). */
  shutdown(): void {
    this.stop();
    for (const m of this.merges.values()) m.timer?.cancel();
    this.merges.clear();
  }

  /** Becomes the first leader of a new group. */
  found(id: string): void {
    this.stop();
    this.id = id;
    this.term += 1;
    const s = emptyState(id);
    this.state = s;
    this.committedVersion = 0;
    this.committedMeta = null;
    this.shards.clear();
    this.latestMeta = null;
    this.knownCommitted = 0;
    this.waiting = [];
    this.becomeLeader('founded');
  }

  /** A node that has been told (join_ack) or has found out (coordinator, rehome) who leads. */
  followLeader(leader: NodeRef, term: number, score: number, group = this.id, firstRefreshMs?: number): void {
    const wasLeader = this.role === 'leader' || this.role === 'handing-over' || this.role === 'regenerating';
    this.electionTimer?.cancel();
    this.electionTimer = null;
    if (wasLeader) this.stopLeading();
    if (group !== this.id) {
      this.id = group;
      this.shards.clear();
      this.latestMeta = null;
      this.knownCommitted = 0;
    }
    this.role = 'member';
    this.leader = leader;
    this.term = term;
    this.leaderScore = score;
    this.armSuspicion();
    this.scheduleRefresh(true, firstRefreshMs);
  }

  // ───────────────────────────── writes ─────────────────────────────

  /** Leader only: stores key=value; `done` runs once a committed version holds it. */
  write(key: string, value: JsonValue, wid: string, from: NodeRef | null, done?: (version: number) => void): boolean {
    if (this.role !== 'leader' || !this.state) return false;
    this.state.kv[key] = value;
    this.waiting.push({ kind: 'put', wid, to: from, ...(done ? { done } : {}) });
    this.markDirty();
    return true;
  }

  // ───────────────────────────── dispatch ─────────────────────────────

  handle(from: NodeRef, m: GroupMsg): void {
    switch (m.t) {
      case 'join': return this.onJoin(from, m);
      case 'refresh': return this.onRefresh(from, m);
      case 'refresh_ack': return this.onRefreshAck(from, m);
      case 'not_member': return this.onNotMember(from, m);
      case 'leave': return this.onLeave(from);
      case 'hb': return this.onHeartbeat(from, m);
      case 'election': return this.onElection(from, m);
      case 'alive': return this.onAlive(from, m);
      case 'coordinator': return this.onCoordinator(from, m);
      case 'claim': return this.onClaim(from, m);
      case 'stale': return this.onStale(from, m);
      case 'shard_store': return this.onShardStore(from, m);
      case 'store_ack': return this.onStoreAck(from, m);
      case 'shard_req': return this.onShardReq(from, m);
      case 'shard_resp': return this.onShardResp(from, m);
      case 'handover': return this.onHandover(from, m);
      case 'merge': return this.onMerge(from, m);
      case 'merge_ack': return this.onMergeAck(from);
      case 'rehome': return this.onRehome(from, m);
      case 'put': return this.onPut(from, m);
      default: return;
    }
  }

  // ───────────────────────────── leader ─────────────────────────────

  private becomeLeader(how: 'founded' | 'elected' | 'handover' | 'empty'): void {
    this.role = 'leader';
    this.leader = this.host.self;
    this.leaderScore = this.host.score();
    this.suspicion?.cancel();
    this.refreshTimer?.cancel();
    this.refreshWait?.cancel();
    this.suspicion = this.refreshTimer = this.refreshWait = null;
    const s = this.state!;
    s.members[this.host.self.id] = { addr: this.host.self.addr, score: this.host.score(), info: this.host.info(this.tier) };
    const now = this.host.clock.now();
    for (const id of Object.keys(s.members)) this.lastSeen.set(id, now);
    this.suspects.clear();
    this.stats.becameLeader++;
    this.hbTimer = this.every(this.timing.heartbeatMs, () => this.sendHeartbeats());
    this.leaseTimer = this.every(5_000, () => this.expireMembers());
    this.host.log.info({ group: this.id, term: this.term, how, members: Object.keys(s.members).length, version: s.version }, 'leading');
    this.events.becameLeader(this, how);
    this.markDirty();
  }

  private stopLeading(): void {
    const was = this.role;
    for (const t of [this.flushTimer, this.hbTimer, this.leaseTimer, this.inflight?.timer, this.regen?.timer, this.handoverTo?.timer]) t?.cancel();
    this.flushTimer = this.hbTimer = this.leaseTimer = null;
    // Unacknowledged writes go back to their writers, who retry at the new leader.
    const pending = [...(this.inflight?.writes ?? []), ...this.waiting];
    for (const w of pending) if (w.to && w.kind === 'put') this.host.send(w.to, make('put_redirect', { group: this.id, wid: w.wid, leader: null }));
    this.inflight = null;
    this.waiting = [];
    this.regen = null;
    this.handoverTo = null;
    this.dirty = false;
    this.lastSeen.clear();
    this.state = null;
    this.role = 'member';
    if (was === 'leader' || was === 'handing-over') this.events.lostLeadership(this);
  }

  private every(ms: number, fn: () => void): TimerHandle {
    let h: TimerHandle;
    const tick = () => {
      h = this.host.timers.set(ms, tick);
      fn();
    };
    h = this.host.timers.set(ms, tick);
    return { cancel: () => h.cancel() };
  }

  private markDirty(): void {
    this.dirty = true;
    if (!this.inflight && !this.flushTimer) this.flushTimer = this.host.timers.set(this.timing.flushDelayMs, () => this.flush());
  }

  /** Top-ranked live members (the leader excluded): the shard holders and election candidates. */
  private rankedHolders(): Array<NodeRef & { score: number }> {
    const s = this.state!;
    return Object.entries(s.members)
      .filter(([id]) => id !== this.host.self.id && !this.suspects.has(id))
      .map(([id, r]) => ({ id, addr: r.addr, score: r.score }))
      .sort(compareRank)
      .slice(0, MAX_HOLDERS);
  }

  private flush(): void {
    this.flushTimer = null;
    if (!this.dirty || this.inflight || this.role !== 'leader' || !this.state) return;
    const holders = this.rankedHolders();
    const code = chooseCode(holders.length);
    if (!code) return; // alone: nothing can be made durable until someone joins
    this.dirty = false;
    const s = this.state;
    s.version += 1;
    s.group = this.id;
    const bytes = serializeState(s);
    const used = holders.slice(0, code.k + code.m);
    const meta: ShardMeta = { version: s.version, k: code.k, m: code.m, length: bytes.length, hash: fingerprint(bytes), holders: used, watchers: used.slice(0, 2).map((h) => h.id) };
    const inf: Inflight = { version: s.version, meta, bytes, shards: null, acks: new Set(), writes: this.waiting, tries: 0, timer: null };
    this.waiting = [];
    this.inflight = inf;
    this.stats.encodes++;
    this.host.erasure.encode(bytes, code.k, code.m, (err, shards) => {
      if (this.inflight !== inf) return;
      if (err) {
        this.host.log.error({ group: this.id, err: err.message }, 'erasure encode failed');
        this.abandon(inf, []);
        return;
      }
      inf.shards = shards.map(toBase64);
      this.sendStores(inf);
    });
  }

  private sendStores(inf: Inflight): void {
    inf.meta.holders.forEach((h, index) => {
      if (inf.acks.has(h.id)) return;
      this.host.send(h, make('shard_store', { group: this.id, term: this.term, committed: this.committedVersion, shard: { meta: inf.meta, index, data: inf.shards![index]! } }));
    });
    inf.timer = this.host.timers.set(this.timing.storeRetryMs, () => {
      if (this.inflight !== inf) return;
      inf.tries++;
      if (inf.tries < this.timing.storeTries) return this.sendStores(inf);
      const silent = inf.meta.holders.filter((h) => !inf.acks.has(h.id)).map((h) => h.id);
      this.abandon(inf, silent);
    });
  }

  /** Holders that never answered are passed over until they refresh; the writes go into a new version. */
  private abandon(inf: Inflight, silent: string[]): void {
    inf.timer?.cancel();
    for (const id of silent) this.suspects.add(id);
    this.host.log.warn({ group: this.id, version: inf.version, silent }, 'shard holders silent; placing the state elsewhere');
    this.inflight = null;
    this.waiting = [...inf.writes, ...this.waiting];
    this.markDirty();
  }

  private onStoreAck(from: NodeRef, m: Msg<'store_ack'>): void {
    const inf = this.inflight;
    if (this.role !== 'leader' || !inf || m.version !== inf.version || m.term !== this.term) return;
    inf.acks.add(from.id);
    if (inf.acks.size < inf.meta.holders.length) return;
    inf.timer?.cancel();
    this.inflight = null;
    const previous = this.committedMeta;
    this.committedVersion = inf.version;
    this.committedMeta = inf.meta;
    this.stats.commits++;
    for (const w of inf.writes) {
      if (w.kind === 'join' && w.to) this.host.send(w.to, make('join_ack', { group: this.id, term: this.term, leader: this.host.self }));
      if (w.kind === 'put' && w.to) this.host.send(w.to, make('put_ack', { group: this.id, wid: w.wid, version: inf.version }));
      w.done?.(inf.version);
    }
    this.events.committed(this, inf.version, inf.meta.hash, inf.writes.filter((w) => w.kind === 'put').map((w) => w.wid));
    // Watchers learn the commit at once: it decides which version a successor must regenerate.
    // Watchers that were replaced hear it too, so they stop expecting heartbeats.
    this.sendHeartbeats();
    if (previous) {
      const hb = make('hb', { group: this.id, term: this.term, committed: this.committedVersion, watchers: inf.meta.watchers });
      for (const h of previous.holders) if (previous.watchers.includes(h.id) && !inf.meta.watchers.includes(h.id)) this.host.send(h, hb);
    }
    if (this.dirty) this.markDirty();
    this.considerHandover();
  }

  private sendHeartbeats(): void {
    const meta = this.committedMeta;
    if (this.role !== 'leader' || !meta) return;
    const hb = make('hb', { group: this.id, term: this.term, committed: this.committedVersion, watchers: meta.watchers });
    for (const h of meta.holders) if (meta.watchers.includes(h.id)) this.host.send(h, hb);
  }

  private expireMembers(): void {
    if (this.role !== 'leader' || !this.state) return;
    const now = this.host.clock.now();
    let changed = false;
    for (const id of Object.keys(this.state.members)) {
      if (id === this.host.self.id) continue;
      if (now - (this.lastSeen.get(id) ?? 0) > this.timing.leaseMs) {
        delete this.state.members[id];
        this.lastSeen.delete(id);
        this.suspects.delete(id);
        changed = true;
      }
    }
    if (changed) {
      this.markDirty();
      this.events.membersChanged(this);
    }
  }

  private onJoin(from: NodeRef, m: Msg<'join'>): void {
    if (this.role !== 'leader' || !this.state) {
      this.host.send(from, make('not_member', { group: m.group, term: this.term, leader: this.role === 'member' ? this.leader : null }));
      return;
    }
    const refusal = this.events.verifyJoin(from, m.invite, m.info);
    if (refusal) {
      this.host.log.warn({ group: this.id, node: from.id, reason: refusal }, 'join refused');
      this.host.send(from, make('join_refused', { group: this.id, reason: refusal }));
      return;
    }
    this.state.members[from.id] = { addr: from.addr, score: m.score, info: m.info };
    this.lastSeen.set(from.id, this.host.clock.now());
    this.suspects.delete(from.id);
    // The join is acknowledged once a committed version holds the registration.
    this.waiting.push({ kind: 'join', wid: `join:${from.id}`, to: from });
    this.markDirty();
    this.events.membersChanged(this);
  }

  private onRefresh(from: NodeRef, m: Msg<'refresh'>): void {
    if (this.role !== 'leader' || !this.state || m.group !== this.id) {
      this.host.send(from, make('not_member', { group: m.group, term: this.term, leader: this.role === 'member' && m.group === this.id ? this.leader : null }));
      return;
    }
    const rec = this.state.members[from.id];
    if (!rec) {
      this.host.send(from, make('not_member', { group: this.id, term: this.term, leader: null }));
      return;
    }
    this.lastSeen.set(from.id, this.host.clock.now());
    const wasSuspect = this.suspects.delete(from.id);
    // Validated infos have their keys in schema order, so plain JSON compares them.
    if (JSON.stringify(rec.info) !== JSON.stringify(m.info) || Math.abs(rec.score - m.score) > 0.05 || rec.addr !== from.addr) {
      this.state.members[from.id] = { addr: from.addr, score: m.score, info: m.info };
      this.markDirty();
      this.events.membersChanged(this);
      this.considerHandover();
    } else if (wasSuspect) this.markDirty();
    this.host.send(from, make('refresh_ack', { group: this.id, term: this.term }));
  }

  private onLeave(from: NodeRef): void {
    if (this.role !== 'leader' || !this.state?.members[from.id] || from.id === this.host.self.id) return;
    delete this.state.members[from.id];
    this.lastSeen.delete(from.id);
    this.markDirty();
    this.events.membersChanged(this);
  }

  private onPut(from: NodeRef, m: Msg<'put'>): void {
    if (m.group !== this.id || !this.write(m.key, m.value, m.wid, from)) {
      this.host.send(from, make('put_redirect', { group: m.group, wid: m.wid, leader: this.role === 'member' ? this.leader : null }));
    }
  }

  /** A member that beats the leader by the margin takes over, with the state handed to it whole. */
  private considerHandover(): void {
    if (this.role !== 'leader' || this.inflight || !this.state || this.handoverTo) return;
    const best = this.rankedHolders()[0];
    if (!best || best.score <= this.host.score() * HANDOVER_MARGIN) return;
    if (!this.committedMeta?.holders.some((h) => h.id === best.id)) return;
    this.role = 'handing-over';
    this.handoverTo = { ref: best, tries: 0, timer: null };
    this.stats.handovers++;
    this.sendHandover();
  }

  private sendHandover(): void {
    const h = this.handoverTo;
    if (!h || this.role !== 'handing-over' || !this.state) return;
    if (h.tries >= 3) {
      // The better machine does not answer: keep leading.
      this.handoverTo = null;
      this.role = 'leader';
      return;
    }
    h.tries++;
    this.host.log.info({ group: this.id, to: h.ref.id }, 'handing leadership to a better machine');
    this.host.send(h.ref, make('handover', { group: this.id, term: this.term + 1, version: this.state.version, state: toBase64(serializeState(this.state)) }));
    h.timer = this.host.timers.set(500, () => this.sendHandover());
  }

  private onHandover(from: NodeRef, m: Msg<'handover'>): void {
    if (m.term < this.term) return this.sendStale(from);
    if (this.role === 'leader' && this.term >= m.term) return;
    let st: GroupState;
    try {
      st = parseState(fromBase64(m.state));
    } catch (err) {
      this.host.log.warn({ group: m.group, err: (err as Error).message }, 'handover state invalid');
      return;
    }
    this.stopMemberTimers();
    this.id = m.group;
    this.term = m.term;
    this.state = st;
    this.committedVersion = st.version;
    this.committedMeta = null;
    this.becomeLeader('handover');
    this.announceCoordinator();
  }

  private announceCoordinator(): void {
    if (!this.state) return;
    const c = make('coordinator', { group: this.id, term: this.term, leader: this.host.self, score: this.host.score() });
    for (const [id, r] of Object.entries(this.state.members)) if (id !== this.host.self.id) this.host.send({ id, addr: r.addr }, c);
  }

  private onMerge(from: NodeRef, m: Msg<'merge'>): void {
    if (this.role !== 'leader' || !this.state) {
      // Not (or not yet) the leader: pass it on to who is; while regenerating the sender retries.
      const to = this.role === 'handing-over' ? this.handoverTo?.ref : this.role === 'member' ? this.leader : null;
      if (to && to.id !== from.id) this.host.send(to, m);
      this.host.log.info({ group: this.id, from: from.id, role: this.role, forwardedTo: to?.id ?? null }, 'merge for a group I do not lead');
      return;
    }
    let other: GroupState;
    try {
      other = parseState(fromBase64(m.state));
    } catch (err) {
      this.host.log.warn({ group: this.id, from: from.id, err: (err as Error).message }, 'merge state invalid');
      return;
    }
    const before = new Set(Object.keys(this.state.members));
    this.state = mergeInto(this.state, { ...other, group: this.id });
    const now = this.host.clock.now();
    for (const id of Object.keys(this.state.members)) if (!before.has(id)) this.lastSeen.set(id, now);
    this.host.log.info({ group: this.id, from: from.id, members: Object.keys(this.state.members).length }, 'merged a stepped-down leader\'s state');
    this.host.send(from, make('merge_ack', { group: m.group }));
    this.markDirty();
    this.events.membersChanged(this);
  }

  private onMergeAck(from: NodeRef): void {
    const p = this.merges.get(from.id);
    p?.timer?.cancel();
    this.merges.delete(from.id);
  }

  // ──────────────────── conflicts between leaders ────────────────────

  /**
   * Two leaders meet. Same group: the higher term wins, then the lower node id. Different groups
   * (two sub-grids founded on one LAN): the lower group id wins. Both sides compute the same answer.
   */
  private otherWins(other: { id: string }, otherTerm: number, otherGroup: string): boolean {
    if (otherGroup !== this.id) return otherGroup < this.id;
    if (otherTerm !== this.term) return otherTerm > this.term;
    return other.id < this.host.self.id;
  }

  /** Called by the node for announcements heard on the LAN, and for claims and stale notices. */
  meetLeader(other: NodeRef, otherTerm: number, otherScore: number, otherGroup: string): void {
    if (other.id === this.host.self.id) return;
    const leading = this.role === 'leader' || this.role === 'handing-over' || this.role === 'regenerating';
    if (leading) {
      if (this.otherWins(other, otherTerm, otherGroup)) this.yieldTo(other, otherTerm, otherScore, otherGroup);
      else this.host.send(other, make('claim', { group: this.id, term: this.term, leader: this.host.self, score: this.host.score() }));
      return;
    }
    if (otherGroup !== this.id) return;
    if (otherTerm > this.term || (otherTerm === this.term && (!this.leader || this.leader.id === other.id))) {
      if (!this.leader || this.leader.id !== other.id || this.role !== 'member') this.followLeader(other, otherTerm, otherScore);
      else {
        this.term = otherTerm;
        this.leaderScore = otherScore;
      }
    }
  }

  /** Gives way to a winning leader: with a state, hand it over; still regenerating, just follow it. */
  private yieldTo(to: NodeRef, term: number, score: number, group: string): void {
    if (this.state && this.role !== 'regenerating') return this.stepDown(to, term, score, group);
    this.host.log.info({ group: this.id, to: to.id, term }, 'another candidate wins: following it');
    this.regen?.timer?.cancel();
    this.regen = null;
    this.state = null;
    this.role = 'member';
    this.followLeader(to, term, score, group);
  }

  private stepDown(to: NodeRef, term: number, score: number, group: string): void {
    if (!this.state) return;
    this.stats.stepDowns++;
    const mine = this.state;
    const oldGroup = this.id;
    this.host.log.info({ group: oldGroup, to: to.id, toGroup: group, term }, 'stepping down to another leader; handing over my state');
    const bytes = toBase64(serializeState(mine));
    const rehome = make('rehome', { group: oldGroup, newGroup: group, term, leader: to });
    for (const [id, r] of Object.entries(mine.members)) if (id !== this.host.self.id && id !== to.id) this.host.send({ id, addr: r.addr }, rehome);
    // Refresh only once the merge (which carries my record) has had time to land.
    this.followLeader(to, term, score, group, 500);
    const entry = { ref: to, bytes, tries: 0, timer: null as TimerHandle | null };
    this.merges.set(to.id, entry);
    const send = () => {
      if (entry.tries++ >= 10 || !this.merges.has(to.id)) return void this.merges.delete(to.id);
      this.host.send(to, make('merge', { group: oldGroup, term, state: bytes }));
      entry.timer = this.host.timers.set(300, send);
    };
    send();
  }

  private onClaim(from: NodeRef, m: Msg<'claim'>): void {
    this.meetLeader(m.leader, m.term, m.score, m.group);
  }

  private onStale(_from: NodeRef, m: Msg<'stale'>): void {
    this.meetLeader(m.leader, m.term, m.score, m.group);
  }

  private sendStale(to: NodeRef): void {
    if (this.leader) this.host.send(to, make('stale', { group: this.id, term: this.term, leader: this.leader, score: this.leaderScore }));
  }

  /** Fencing: may this (leader, term) direct me? Otherwise it is told who does. */
  private accepts(from: NodeRef, term: number, group: string): boolean {
    if (group !== this.id) {
      // A leader of a group I am not in (any more): it should forget me.
      if (this.role === 'member' || this.role === 'leader') this.host.send(from, make('leave', { group }));
      return false;
    }
    const leading = this.role === 'leader' || this.role === 'handing-over' || this.role === 'regenerating';
    if (leading) {
      if (from.id === this.host.self.id) return true;
      if (this.otherWins(from, term, group)) {
        this.yieldTo(from, term, 0, group);
        return true;
      }
      this.host.send(from, make('claim', { group: this.id, term: this.term, leader: this.host.self, score: this.host.score() }));
      return false;
    }
    // Two candidates of one term (both watchers suspected at once): everyone prefers the lower id,
    // the same rule the candidates apply to each other, so the shards end up with one of them.
    if (term > this.term || (term === this.term && (!this.leader || this.leader.id === from.id || from.id < this.leader.id))) {
      if (this.role === 'candidate') {
        this.electionTimer?.cancel();
        this.electionTimer = null;
      }
      if (!this.leader || this.leader.id !== from.id || term !== this.term || this.role !== 'member') {
        this.leader = from;
        this.term = term;
        this.role = 'member';
        this.scheduleRefresh(true);
      }
      return true;
    }
    this.sendStale(from);
    return false;
  }

  // ───────────────────────────── member ─────────────────────────────

  private stopMemberTimers(): void {
    for (const t of [this.suspicion, this.refreshTimer, this.refreshWait, this.electionTimer]) t?.cancel();
    this.suspicion = this.refreshTimer = this.refreshWait = this.electionTimer = null;
  }

  private amWatcher(): boolean {
    return this.latestMeta?.watchers.includes(this.host.self.id) ?? false;
  }

  /**
   * Watchers suspect a leader that has been silent for suspectMs. The timer is re-armed only when it
   * fires (to the remaining time), not on every heartbeat: heartbeats stay one event each.
   */
  private armSuspicion(): void {
    this.lastHeard = this.host.clock.now();
    if (this.role !== 'member' || !this.amWatcher()) {
      this.suspicion?.cancel();
      this.suspicion = null;
      return;
    }
    if (this.suspicion) return;
    // The second watcher is the backup: it waits long enough for the first one's coordinator.
    const limit = () => this.timing.suspectMs + (this.latestMeta?.watchers[0] === this.host.self.id ? 0 : 3 * this.timing.electionMs);
    const check = () => {
      this.suspicion = null;
      if (this.role !== 'member' || !this.amWatcher()) return;
      const silent = this.host.clock.now() - this.lastHeard;
      if (silent < limit()) {
        this.suspicion = this.host.timers.set(limit() - silent, check);
        return;
      }
      this.host.log.info({ group: this.id, leader: this.leader?.id }, 'leader silent: starting an election');
      this.startElection();
    };
    this.suspicion = this.host.timers.set(this.timing.suspectMs, check);
  }

  private scheduleRefresh(soon: boolean, soonMs = 1): void {
    this.refreshTimer?.cancel();
    const delay = soon ? soonMs + this.host.random() * 50 : this.timing.refreshMs * (0.9 + 0.2 * this.host.random());
    this.refreshTimer = this.host.timers.set(delay, () => this.sendRefresh());
  }

  private sendRefresh(): void {
    this.refreshTimer = null;
    if (this.role !== 'member' || !this.leader) return;
    this.host.send(this.leader, make('refresh', { group: this.id, term: this.term, info: this.host.info(this.tier), score: this.host.score() }));
    this.refreshWait?.cancel();
    this.refreshWait = this.host.timers.set(this.timing.refreshTimeoutMs, () => {
      this.refreshWait = null;
      if (this.role !== 'member') return;
      this.refreshMisses++;
      if (this.refreshMisses < 3) return this.sendRefresh();
      this.refreshMisses = 0;
      // A shard holder can rebuild the state: it runs an election (the watchers may be cut off
      // with the leader). Anyone else looks for the group again.
      if (this.myRank()) return this.startElection();
      this.events.lostGroup(this, 'leader does not answer refreshes');
    });
  }

  private onRefreshAck(from: NodeRef, m: Msg<'refresh_ack'>): void {
    if (m.group !== this.id || this.leader?.id !== from.id) return;
    this.refreshMisses = 0;
    this.refreshWait?.cancel();
    this.refreshWait = null;
    if (m.term > this.term) this.term = m.term;
    this.scheduleRefresh(false);
  }

  private onNotMember(from: NodeRef, m: Msg<'not_member'>): void {
    if (m.group !== this.id || this.role !== 'member') return;
    if (m.leader && m.leader.id !== from.id && m.leader.id !== this.host.self.id && m.term >= this.term) {
      this.leader = m.leader;
      this.term = m.term;
      this.scheduleRefresh(true);
      return;
    }
    if (this.leader?.id === from.id) {
      this.refreshWait?.cancel();
      this.refreshWait = null;
      this.events.lostGroup(this, 'leader does not know me');
    }
  }

  private onRehome(from: NodeRef, m: Msg<'rehome'>): void {
    if (m.group !== this.id || this.role !== 'member' || this.leader?.id !== from.id) return;
    this.followLeader(m.leader, m.term, 0, m.newGroup, 500);
  }

  private onHeartbeat(from: NodeRef, m: Msg<'hb'>): void {
    if (this.role === 'idle') {
      // Heartbeats for a node that left (or was never told it joined): the leader should drop it.
      this.host.send(from, make('leave', { group: m.group }));
      return;
    }
    if (!this.accepts(from, m.term, m.group)) return;
    if (m.committed > this.knownCommitted) this.setKnownCommitted(m.committed);
    const w = this.latestMeta?.watchers;
    if (w && (w.length !== m.watchers.length || w.some((id, i) => id !== m.watchers[i]))) this.latestMeta = { ...this.latestMeta!, watchers: m.watchers };
    this.armSuspicion();
  }

  private setKnownCommitted(v: number): void {
    this.knownCommitted = v;
    // Keep the newest committed version and anything newer; older versions are superseded.
    for (const ver of [...this.shards.keys()]) if (ver < v) this.shards.delete(ver);
  }

  private onShardStore(from: NodeRef, m: Msg<'shard_store'>): void {
    if (!this.accepts(from, m.term, m.group)) return;
    const sh = m.shard;
    this.shards.set(sh.meta.version, { meta: sh.meta, index: sh.index, data: sh.data });
    if (!this.latestMeta || sh.meta.version >= this.latestMeta.version) this.latestMeta = sh.meta;
    if (m.committed > this.knownCommitted) this.setKnownCommitted(m.committed);
    // Bounded: a leader that never commits cannot fill a member's memory.
    while (this.shards.size > 6) this.shards.delete(Math.min(...this.shards.keys()));
    this.host.send(from, make('store_ack', { group: this.id, term: m.term, version: sh.meta.version }));
    this.armSuspicion();
  }

  private onShardReq(from: NodeRef, m: Msg<'shard_req'>): void {
    if (!this.accepts(from, m.term, m.group)) return;
    this.suspicion?.cancel();
    this.suspicion = null;
    const shards = [...this.shards.values()].sort((a, b) => b.meta.version - a.meta.version).slice(0, 8);
    this.host.send(from, make('shard_resp', { group: this.id, term: m.term, shards }));
  }

  // ───────────────────────────── election ─────────────────────────────

  private myRank(): { id: string; score: number } | null {
    const me = this.latestMeta?.holders.find((h) => h.id === this.host.self.id);
    return me ? { id: me.id, score: me.score } : null;
  }

  /** Bully: ask every higher-ranked holder (and the leader) whether it is alive; silence means I lead. */
  startElection(): void {
    if (this.role !== 'member') return;
    const me = this.myRank();
    if (!me) return; // not a holder: cannot regenerate the state, so not a candidate
    this.stats.elections++;
    this.role = 'candidate';
    const higher: NodeRef[] = this.latestMeta!.holders.filter((h) => h.id !== me.id && compareRank(h, me) < 0);
    if (this.leader && !higher.some((h) => h.id === this.leader!.id)) higher.push(this.leader);
    const e = make('election', { group: this.id, term: this.term });
    for (const h of higher) this.host.send(h, e);
    this.electionTimer?.cancel();
    this.electionTimer = this.host.timers.set(this.timing.electionMs, () => {
      this.electionTimer = null;
      if (this.role === 'candidate') this.startRegeneration();
    });
  }

  private onElection(from: NodeRef, m: Msg<'election'>): void {
    if (m.group !== this.id) return;
    const leading = this.role === 'leader' || this.role === 'regenerating' || this.role === 'handing-over';
    // A node outside the group stays silent, or the candidate would wait for it forever.
    if (this.role === 'idle') return;
    this.host.send(from, make('alive', { group: this.id, term: this.term, leader: leading, watchers: leading ? (this.committedMeta?.watchers ?? []) : [] }));
    if (!leading && this.role === 'member') this.startElection();
  }

  private onAlive(from: NodeRef, m: Msg<'alive'>): void {
    if (m.group !== this.id || this.role !== 'candidate') return;
    this.electionTimer?.cancel();
    if (m.leader && this.leader?.id === from.id && m.term >= this.term) {
      // False alarm: the leader lives. Watch again only if it still wants me to.
      this.role = 'member';
      this.electionTimer = null;
      if (this.latestMeta && !m.watchers.includes(this.host.self.id)) this.latestMeta = { ...this.latestMeta, watchers: m.watchers };
      this.armSuspicion();
      return;
    }
    if (m.leader) {
      this.role = 'member';
      this.electionTimer = null;
      this.followLeader(from, m.term, 0);
      return;
    }
    // A higher-ranked node is alive and runs its own election: wait for its coordinator.
    this.electionTimer = this.host.timers.set(this.timing.electionMs * 4, () => {
      this.electionTimer = null;
      if (this.role !== 'candidate') return;
      this.role = 'member';
      this.startElection();
    });
  }

  private onCoordinator(from: NodeRef, m: Msg<'coordinator'>): void {
    if (m.group !== this.id) return;
    this.meetLeader(m.leader, m.term, m.score, m.group);
  }

  // ─────────────────────────── regeneration ───────────────────────────

  private startRegeneration(): void {
    const meta = this.latestMeta!;
    this.stats.regenerations++;
    this.role = 'regenerating';
    const oldLeader = this.leader?.id ?? null;
    this.term += 1;
    this.leader = this.host.self;
    this.stopMemberTimers();
    const asked = meta.holders.filter((h) => h.id !== this.host.self.id && h.id !== oldLeader).map((h) => ({ id: h.id, addr: h.addr }));
    const coord = make('coordinator', { group: this.id, term: this.term, leader: this.host.self, score: this.host.score() });
    for (const h of asked) this.host.send(h, coord);
    this.regen = { asked, responses: new Map(), started: this.host.clock.now(), timer: null, deciding: false, oldLeader };
    this.host.log.info({ group: this.id, term: this.term, holders: asked.length }, 'elected: regenerating state from shards');
    this.askShards();
  }

  private askShards(): void {
    const r = this.regen;
    if (!r || this.role !== 'regenerating') return;
    const req = make('shard_req', { group: this.id, term: this.term });
    for (const h of r.asked) if (!r.responses.has(h.id)) this.host.send(h, req);
    r.timer = this.host.timers.set(60, () => this.tryDecide());
  }

  private onShardResp(from: NodeRef, m: Msg<'shard_resp'>): void {
    const r = this.regen;
    if (!r || this.role !== 'regenerating' || m.term !== this.term || m.group !== this.id) return;
    r.responses.set(from.id, m.shards);
    if (r.asked.every((h) => r.responses.has(h.id))) this.tryDecide();
  }

  private tryDecide(): void {
    const r = this.regen;
    if (!r || this.role !== 'regenerating' || r.deciding) return;
    r.timer?.cancel();
    const byVersion = new Map<number, Map<number, StoredShard>>();
    const add = (s: StoredShard) => {
      let v = byVersion.get(s.meta.version);
      if (!v) byVersion.set(s.meta.version, (v = new Map()));
      v.set(s.index, s);
    };
    for (const s of this.shards.values()) add(s);
    for (const list of r.responses.values()) for (const s of list) add(s);
    const usable = [...byVersion.entries()].filter(([, v]) => v.size >= [...v.values()][0]!.meta.k).sort((a, b) => b[0] - a[0]);
    const elapsed = this.host.clock.now() - r.started;
    const all = r.asked.every((h) => r.responses.has(h.id));
    const best = usable[0];
    const ready = all || elapsed >= this.timing.regenHardMs || (elapsed >= this.timing.regenWaitMs && best !== undefined && best[0] >= this.knownCommitted);
    if (!ready) return this.askShards();
    r.deciding = true;
    this.decodeFrom(usable, 0);
  }

  private decodeFrom(usable: Array<[number, Map<number, StoredShard>]>, i: number): void {
    const entry = usable[i];
    if (!entry) {
      this.host.log.error({ group: this.id, knownCommitted: this.knownCommitted }, 'no k shards of any version: starting from an empty state');
      this.stats.regenEmpty++;
      this.finishRegeneration(emptyState(this.id), 'empty');
      return;
    }
    const [version, shards] = entry;
    const meta = [...shards.values()][0]!.meta;
    const arr: Array<Uint8Array | null> = Array.from({ length: meta.k + meta.m }, (_, idx) => {
      const s = shards.get(idx);
      return s && s.meta.hash === meta.hash ? fromBase64(s.data) : null;
    });
    this.host.erasure.reconstruct(arr, meta.k, meta.m, meta.length, (err, data) => {
      if (this.role !== 'regenerating') return;
      let st: GroupState | null = null;
      if (!err && fingerprint(data) === meta.hash) {
        try {
          st = parseState(data);
        } catch {
          st = null;
        }
      }
      if (!st) {
        this.host.log.error({ group: this.id, version, err: err?.message }, 'shards did not rebuild the state; trying an older version');
        return this.decodeFrom(usable, i + 1);
      }
      this.regenerated = { version, hash: meta.hash };
      this.finishRegeneration(st, 'elected');
    });
  }

  private finishRegeneration(st: GroupState, how: 'elected' | 'empty'): void {
    const old = this.regen?.oldLeader;
    this.regen = null;
    if (old && old !== this.host.self.id) delete st.members[old];
    this.state = { ...st, group: this.id };
    this.committedVersion = st.version;
    this.committedMeta = null;
    this.becomeLeader(how);
    this.announceCoordinator();
  }

  /** My own description changed (a sub-grid's aggregate): leader updates the state, member refreshes now. */
  updateSelf(): void {
    if (this.role === 'leader' && this.state) {
      this.state.members[this.host.self.id] = { addr: this.host.self.addr, score: this.host.score(), info: this.host.info(this.tier) };
      this.markDirty();
      this.events.membersChanged(this);
    } else if (this.role === 'member') this.scheduleRefresh(true);
  }

  /**
   * Leaves leadership on purpose: the best-ranked holder gets the state whole (or `preferred`, e.g.
   * the machine that just took this node's sub-grid, when the group has no other member).
   */
  handOff(preferred?: NodeRef): void {
    if (this.role === 'leader' && this.state) {
      const best = this.rankedHolders()[0] ?? preferred;
      if (best) this.host.send(best, make('handover', { group: this.id, term: this.term + 1, version: this.state.version, state: toBase64(serializeState(this.state)) }));
    }
    this.stopLeading();
    this.stop();
  }

  /** For the simulator's invariants and `status`: a fingerprint of what the leader holds. */
  currentHash(): string | null {
    return this.state ? stateHash(this.state) : null;
  }
}
