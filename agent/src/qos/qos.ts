// The QoS component: samples the machine, decides what the guests may have, writes it to their
// parent cgroup, caps local applications by rule, and asks the VM host to move work away when the
// owner's pressure lasts. Sampling → load (load.ts) → trends (trends.ts) → owner classifier
// (owner-classifier.ts) → decision (policy.ts) → cgroup files (cgroup*.ts).
import { readdirSync } from 'node:fs';
import { totalmem } from 'node:os';
import type { Logger } from 'pino';
import {
  DEFAULT_LIMITS, DEFAULT_QOS_POLICY, DonationLimits, LocalRules, QosPolicy,
  type LocalRule, type MigrateRequest, type PresenceReport, type QosStatus,
} from '../../../contract/index.ts';
import type { NativeApi, ProcessSample, Sweep } from '../../../native/lib/index.ts';
import type { Clock, TimerHandle, Timers } from '../net/transport.ts';
import { CgroupError, createCgroupDriver, type CgroupDriver, type CgroupGroup, type GroupLimits, type GroupUsage } from './cgroup.ts';
import { detectCgroupLayout, type CgroupLayout } from './cgroup-layout.ts';
import { computeLoad, processKey, type Owner } from './load.ts';
import { createOwnerClassifier, type OwnerClassifierOptions } from './owner-classifier.ts';
import {
  createInterruptIdleSource, createLogindIdleSource, createPresenceStore, createSysfsBatterySource,
  firstBatterySource, firstIdleSource, type BatterySource, type IdleSource, type Reading,
} from './owner-signals.ts';
import { createPlacement } from './placement.ts';
import { createPressureTracker, decide, type Decision } from './policy.ts';
import { createTrendSet, type Trend } from './trends.ts';
import { FieldError } from '../field-error.ts';

const MiB = 1024 * 1024;
/** A rule's group may run this many points over its cap in one sample before it counts as a breach (sampling jitter). */
const BREACH_MARGIN_PERCENT = 5;

export interface QosOptions {
  readonly log: Logger;
  /** Monotonic milliseconds. */
  readonly clock: Clock;
  /** Wall-clock milliseconds, for the schedule (default Date.now). */
  readonly wallClock?: () => number;
  readonly timers: Timers;
  /** setAffinity, when given, moves guest threads off the owner's cores. */
  readonly native: Pick<NativeApi, 'sweep'> & Partial<Pick<NativeApi, 'setAffinity'>>;
  readonly limits?: DonationLimits;
  readonly policy?: QosPolicy;
  readonly rules?: LocalRules;
  /** Cgroup layout (detected at start when absent; tests pass a fake one). */
  readonly layout?: CgroupLayout;
  /** Where groups live in each hierarchy: '' = root (default), 'self' = below this process's own groups. */
  readonly cgroupBase?: string | 'self';
  /** Top group name (default "phantom-grid"); guests go in <root>/guests, rules in <root>-local/<exe>. */
  readonly cgroupRoot?: string;
  readonly cpuCount: number;
  readonly totalMemoryBytes?: number;
  /**
   * Which processes are the owner's (default: every one but the agent, kernel threads, guests and
   * rule-capped apps). Benchmarks narrow it to their own owner task on a shared machine.
   */
  readonly isOwner?: (p: ProcessSample) => boolean;
  /** The agent itself (its CPU is not the owner's). */
  readonly selfPid?: number;
  /** Input idle time; default: desktop app reports, then logind, then input-device interrupts. */
  readonly idle?: IdleSource;
  readonly battery?: BatterySource;
  readonly onMigrateRequest?: (req: MigrateRequest) => void;
}

export class QosLimitsError extends FieldError {
  override readonly name = 'QosLimitsError';
}

interface Guest {
  readonly pid: number;
  readonly id: string;
  readonly memoryMiB: number | null;
  readonly placedAt: number;
}

interface RuleState {
  rule: LocalRule;
  readonly name: string;
  group: CgroupGroup | null;
  lastCpuNs: number | null;
  lastHits: number | null;
  cpuPercent: number | null;
  breaches: number;
  lastBreach: number | null;
}

export type MigrateListener = (req: MigrateRequest) => void;

export interface Qos {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Validates and applies at once; on any problem throws QosLimitsError naming the field and keeps the old limits. */
  applyLimits(limits: unknown): DonationLimits;
  applyPolicy(policy: unknown): QosPolicy;
  applyRules(rules: unknown): LocalRules;
  /** The desktop app's view of the owner (control API POST /presence). */
  reportPresence(r: PresenceReport): void;
  /** Owner's pause (tray, control API): guests get the smallest quota until resumed. */
  setPaused(paused: boolean): void;
  /** Moves a guest (its QEMU process) into the guests' group; false when this machine has no usable cgroups. */
  placeGuest(pid: number, guest?: { id?: string; memoryMiB?: number }): boolean;
  /** Forget a guest that exited or moved; memory held back for it is released to the limit. */
  removeGuest(pid: number): void;
  status(): QosStatus;
  /** What the guests' group has used (cgroup accounting); null when there is no such group. */
  guestUsage(): GroupUsage | null;
  on(event: 'migrate-request', fn: MigrateListener): () => void;
  /** One monitor step now (also what the timer runs). */
  sample(): Promise<void>;
  /** Trends of a process (by pid) and of each core, for diagnostics. */
  trends(): { processes: ReadonlyMap<string, Trend>; cores: readonly (Trend | undefined)[] };
}

function firstIssue(err: { issues: ReadonlyArray<{ path: readonly PropertyKey[]; message: string }> }): { field: string; message: string } {
  const i = err.issues[0]!;
  const field = i.path.map(String).join('.') || '(body)';
  return { field, message: `${field}: ${i.message}` };
}

export function createQos(opts: QosOptions): Qos {
  const log = opts.log;
  const wall = opts.wallClock ?? Date.now;
  const rootName = opts.cgroupRoot ?? 'phantom-grid';
  const guestName = `${rootName}/guests`;
  // Local rules cap the owner's own applications: they must not sit below the idle top group.
  const localName = `${rootName}-local`;
  const totalMem = opts.totalMemoryBytes ?? totalmem();
  const selfPid = opts.selfPid ?? process.pid;

  let limits: DonationLimits = DonationLimits.parse(opts.limits ?? DEFAULT_LIMITS);
  let policy: QosPolicy = QosPolicy.parse(opts.policy ?? DEFAULT_QOS_POLICY);
  let rules: LocalRules = LocalRules.parse(opts.rules ?? []);
  const classifierOptions = (p: QosPolicy): OwnerClassifierOptions => ({ busyPercent: p.ownerBusyPercent, inputActiveSeconds: p.inputActiveSeconds, quietMs: p.quietSeconds * 1000 });
  const classifier = createOwnerClassifier(classifierOptions(policy), opts.clock.now());
  const pressure = createPressureTracker();
  const presence = createPresenceStore();
  let idleSource: IdleSource | null = opts.idle ?? null;
  const battery = opts.battery ?? firstBatterySource([presence.battery, createSysfsBatterySource()]);
  const listeners = new Set<MigrateListener>();
  if (opts.onMigrateRequest) listeners.add(opts.onMigrateRequest);

  let layout: CgroupLayout | null = null;
  let driver: CgroupDriver | null = null;
  let guestGroup: CgroupGroup | null = null;
  let topGroup: CgroupGroup | null = null;
  const guests = new Map<number, Guest>();
  const ruleStates = new Map<string, RuleState>();
  let paused = false;
  let running = false;
  let timer: TimerHandle | null = null;
  let inFlight: Promise<void> | null = null;
  let monitorError: string | null = null;

  let prevSweep: Sweep | null = null;
  let prevGuestCpu: { ns: number; at: number } | null = null;
  const processTrends = createTrendSet<string>();
  const coreTrends = createTrendSet<number>();
  let guestCpuPercent: number | null = null;
  let lastIdle: Reading<number> = { value: null, source: 'not sampled yet' };
  let lastBattery: Reading<boolean> = { value: null, source: 'not sampled yet' };
  let lastSampleAt: number | null = null;
  let sampleMs: number | null = null;
  let decision: Decision | null = null;
  let applied: (GroupLimits & { memoryMiB: number | null }) | null = null;
  let memoryShortfall: QosStatus['memoryShortfall'] = null;
  /** A core counts as the owner's from half of it busy with owner work. */
  const placement = createPlacement(() => ({ busyPercent: 50, quietMs: policy.quietSeconds * 1000 }));
  let threadCores: number[] | null = null;
  let pinnedTids = new Set<number>();

  const emit = (req: MigrateRequest): void => {
    log.warn({ req }, 'asking to move guests away');
    for (const l of listeners) {
      try {
        l(req);
      } catch (err) {
        log.error({ err }, 'migrate-request listener failed');
      }
    }
  };

  const newestFirst = (): Guest[] => [...guests.values()].sort((a, b) => b.placedAt - a.placedAt);

  /** Memory the guests' group may have: never below what running guests hold, so the kernel kills none. */
  function memoryPlan(l: DonationLimits): { bytes: number; shortfall: QosStatus['memoryShortfall'] } {
    const target = l.memoryMiB === null ? Math.floor(totalMem / 4) : l.memoryMiB * MiB;
    const used = guestGroup?.usage().memoryBytes ?? 0;
    const declared = [...guests.values()].reduce((s, g) => s + (g.memoryMiB ?? 0) * MiB, 0);
    const held = Math.max(used, declared);
    if (held <= target || guests.size === 0) return { bytes: target, shortfall: null };
    const mustMove: string[] = [];
    let rest = held;
    for (const g of newestFirst()) {
      if (rest <= target) break;
      mustMove.push(g.id);
      rest -= (g.memoryMiB ?? held / guests.size / MiB) * MiB;
    }
    // Headroom above what is held: a limit right at usage makes the kernel reclaim the guests' pages.
    return { bytes: held + 64 * MiB, shortfall: { limitMiB: Math.round(target / MiB), heldMiB: Math.round(held / MiB), mustMove } };
  }

  function currentDecision(now: number): Decision {
    const view = classifier.view();
    return decide({ limits, policy, owner: view, idleSeconds: lastIdle.value, onBattery: lastBattery.value, paused, wallMs: wall(), now });
  }

  /**
   * Runs fn on the groups; when their directories vanished (someone removed an empty group — another
   * agent on the same machine stopping), creates them again and runs `again` on the fresh ones.
   */
  function onGroups(fn: (g: CgroupGroup, top: CgroupGroup | null) => void, again: (g: CgroupGroup, top: CgroupGroup | null) => void): void {
    try {
      fn(guestGroup!, topGroup);
    } catch (err) {
      if (!(err instanceof CgroupError) || err.code !== 'ENOENT' || !driver) throw err;
      log.warn({ file: err.file }, 'the guests\' cgroup disappeared: creating it again');
      topGroup = driver.group(rootName);
      guestGroup = driver.group(guestName);
      again(guestGroup, topGroup);
    }
  }

  /** Writes the decision to the guests' group when it differs from what is there. */
  function enforce(d: Decision, l: DonationLimits, force = false): void {
    if (!guestGroup) return;
    const mem = memoryPlan(l);
    const next = { cpuPercent: d.cpuPercent, cores: d.cores, memoryBytes: mem.bytes, idle: d.idle, weight: 100, memoryMiB: Math.round(mem.bytes / MiB) };
    const same = applied && applied.cpuPercent === next.cpuPercent && applied.idle === next.idle && applied.memoryBytes === next.memoryBytes
      && JSON.stringify(applied.cores) === JSON.stringify(next.cores);
    if (!same || force) {
      // cpu.idle only ranks a group among its siblings: the top group competes with the owner's
      // tasks, so it is marked too, or an all-cores owner would share with the guests again.
      const top = { cpuPercent: null, cores: null, memoryBytes: null, idle: next.idle, weight: 100 };
      onGroups((g, t) => {
        if (t && (force || applied?.idle !== next.idle)) t.configure(top);
        g.configure(next);
      }, (g, t) => {
        t?.configure(top);
        g.configure(next);
      });
      if (!applied || applied.cpuPercent !== next.cpuPercent || applied.idle !== next.idle) log.info({ mode: d.mode, reason: d.reason, cpuPercent: d.cpuPercent, idle: d.idle }, 'guest limits applied');
      applied = next;
    }
    const wasShort = memoryShortfall;
    memoryShortfall = mem.shortfall;
    if (mem.shortfall && JSON.stringify(wasShort?.mustMove) !== JSON.stringify(mem.shortfall.mustMove)) {
      emit({
        reason: 'memory-limit', guests: mem.shortfall.mustMove, since: new Date(wall()).toISOString(),
        detail: `memory limit ${mem.shortfall.limitMiB} MiB is below the ${mem.shortfall.heldMiB} MiB running guests hold; the limit stays at what they hold until these move`,
      });
    }
  }

  function classify(p: ProcessSample): Owner {
    if (p.pid === selfPid || p.pid === 2 || p.ppid === 2) return 'ignore';
    if (!driver) return !opts.isOwner || opts.isOwner(p) ? 'owner' : 'ignore';
    if (driver.contains(guestName, p.cgroup)) return 'guest';
    if (ruleStates.size && driver.contains(localName, p.cgroup)) return 'rule';
    return !opts.isOwner || opts.isOwner(p) ? 'owner' : 'ignore';
  }

  const ruleGroupName = (exe: string): string => `${localName}/${exe.slice(0, 15).replace(/[^A-Za-z0-9._-]/g, '_')}`;

  function syncRules(): void {
    const wanted = new Map(rules.map((r) => [ruleGroupName(r.exe), r]));
    for (const name of ruleStates.keys()) {
      if (!wanted.has(name)) {
        ruleStates.delete(name);
        try {
          driver?.remove(name);
        } catch (err) {
          log.warn({ err, group: name }, 'cannot remove a local rule group');
        }
      }
    }
    for (const [name, rule] of wanted) {
      let st = ruleStates.get(name);
      if (!st) {
        st = { rule, name, group: null, lastCpuNs: null, lastHits: null, cpuPercent: null, breaches: 0, lastBreach: null };
        ruleStates.set(name, st);
      }
      st.rule = rule;
      if (!driver) continue;
      st.group ??= driver.group(name);
      st.group.configure({ cpuPercent: rule.cpuPercent, cores: null, memoryBytes: rule.memoryMiB === null ? null : rule.memoryMiB * MiB, idle: false, weight: 100 });
    }
  }

  function enforceRules(sweep: Sweep, dtSeconds: number | null, now: number): void {
    if (!driver || ruleStates.size === 0) return;
    const byComm = new Map<string, RuleState>();
    for (const st of ruleStates.values()) byComm.set(st.rule.exe.slice(0, 15), st);
    for (const p of sweep.processes) {
      const st = byComm.get(p.comm);
      if (!st?.group || p.pid === selfPid || driver.contains(st.name, p.cgroup)) continue;
      try {
        st.group.addPid(p.pid);
        log.info({ pid: p.pid, exe: p.comm, group: st.name }, 'local application capped by rule');
      } catch (err) {
        log.debug({ err, pid: p.pid }, 'process left before it could be capped');
      }
    }
    for (const st of ruleStates.values()) {
      if (!st.group) continue;
      const u = st.group.usage();
      if (u.cpuNs !== null && st.lastCpuNs !== null && dtSeconds) st.cpuPercent = ((u.cpuNs - st.lastCpuNs) / 1e9 / dtSeconds / opts.cpuCount) * 100;
      st.lastCpuNs = u.cpuNs;
      const breach: string[] = [];
      if (st.rule.cpuPercent !== null && st.cpuPercent !== null && st.cpuPercent > st.rule.cpuPercent + BREACH_MARGIN_PERCENT) breach.push(`CPU ${st.cpuPercent.toFixed(1)}% over its ${st.rule.cpuPercent}% cap`);
      if (u.memoryLimitHits !== null && st.lastHits !== null && u.memoryLimitHits > st.lastHits) breach.push(`hit its ${st.rule.memoryMiB} MiB memory cap ${u.memoryLimitHits - st.lastHits} times`);
      st.lastHits = u.memoryLimitHits;
      if (breach.length) {
        st.breaches++;
        st.lastBreach = now;
        log.warn({ exe: st.rule.exe, breach }, 'local application breached its rule');
      }
    }
  }

  /** Pins every guest thread to the cores placement picks; new threads (QEMU adds some) on the next sample. */
  function placeThreads(sweep: Sweep, ownerPerCore: readonly number[] | null, now: number): void {
    const setAffinity = opts.native.setAffinity;
    if (!setAffinity || !driver || guests.size === 0) return;
    const allowed = limits.cores ?? Array.from({ length: opts.cpuCount }, (_, i) => i);
    const target = placement.update(allowed, ownerPerCore, now);
    if (JSON.stringify(target) !== JSON.stringify(threadCores)) {
      if (threadCores) log.info({ cores: target }, 'guest threads moved');
      threadCores = target;
      pinnedTids = new Set();
    }
    const alive = new Set<number>();
    for (const p of sweep.processes) {
      if (!driver.contains(guestName, p.cgroup)) continue;
      for (const t of p.threads) {
        alive.add(t.tid);
        if (pinnedTids.has(t.tid)) continue;
        try {
          setAffinity(t.tid, target);
        } catch (err) {
          log.debug({ err, tid: t.tid }, 'cannot pin a guest thread (exited?)');
        }
      }
    }
    pinnedTids = alive;
  }

  /** Lets every guest thread use all the donated cores again (QoS off, stopping). */
  function releaseThreads(): void {
    const setAffinity = opts.native.setAffinity;
    if (!setAffinity || !guestGroup || threadCores === null) return;
    const allowed = limits.cores ?? Array.from({ length: opts.cpuCount }, (_, i) => i);
    for (const pid of guestGroup.pids()) {
      let tids: string[];
      try {
        tids = readdirSync(`/proc/${pid}/task`);
      } catch {
        continue;
      }
      for (const tid of tids) {
        try {
          setAffinity(Number(tid), allowed);
        } catch (err) {
          log.debug({ err, tid }, 'cannot release a guest thread (exited?)');
        }
      }
    }
    threadCores = null;
    pinnedTids = new Set();
  }

  async function sample(): Promise<void> {
    if (inFlight) return inFlight;
    inFlight = (async () => {
      const t0 = opts.clock.now();
      // Threads cost about twice a processes-only sweep; they matter only for placing guest threads.
      const sweep = await opts.native.sweep({ threads: guests.size > 0 });
      const now = opts.clock.now();
      // A guest whose QEMU exited without removeGuest: forget it, or it would hold memory and pressure.
      if (guests.size) {
        const alive = new Set(sweep.processes.map((p) => p.pid));
        for (const pid of guests.keys()) {
          if (!alive.has(pid)) {
            log.info({ pid, guest: guests.get(pid)?.id }, 'guest process gone');
            guests.delete(pid);
          }
        }
      }
      const load = prevSweep ? computeLoad(prevSweep, sweep, classify) : null;
      prevSweep = sweep;
      if (load) {
        for (const [k, v] of load.perProcess) processTrends.update(k, v, now);
        processTrends.retain((k) => load.perProcess.has(k));
        load.perCore.forEach((v, i) => coreTrends.update(i, v, now));
      }
      const g = guestGroup?.usage().cpuNs ?? null;
      if (g !== null) {
        if (prevGuestCpu && now > prevGuestCpu.at) guestCpuPercent = ((g - prevGuestCpu.ns) / 1e6 / (now - prevGuestCpu.at) / opts.cpuCount) * 100;
        prevGuestCpu = { ns: g, at: now };
      }
      idleSource ??= firstIdleSource([presence.idle, createLogindIdleSource({ clock: opts.clock, timers: opts.timers }), createInterruptIdleSource()]);
      lastIdle = idleSource.idleSeconds(now);
      lastBattery = battery.onBattery();
      const before = classifier.view().state;
      const view = classifier.update({ cpuPercent: load ? load.byClass.owner : null, idleSeconds: lastIdle.value, fullscreen: null }, now);
      if (view.state !== before) log.info({ owner: view.state, because: view.activeBecause }, 'owner state changed');
      decision = currentDecision(now);
      try {
        enforce(decision, limits);
      } catch (err) {
        log.error({ err }, 'cannot apply guest limits');
      }
      if (pressure.update(decision.pressure && guests.size > 0, now, policy.migrateAfterSeconds * 1000)) {
        emit({
          reason: 'owner-pressure', guests: newestFirst().map((x) => x.id), since: new Date(wall() - (now - (pressure.since ?? now))).toISOString(),
          detail: `guests held back for ${policy.migrateAfterSeconds} s: ${decision.reason}`,
        });
      }
      placeThreads(sweep, view.state === 'active' && load ? load.ownerPerCore : null, now);
      enforceRules(sweep, load?.dtSeconds ?? null, now);
      lastSampleAt = now;
      sampleMs = opts.clock.now() - t0;
    })();
    try {
      await inFlight;
    } finally {
      inFlight = null;
    }
  }

  function schedule(): void {
    if (!running || !limits.qos) return;
    // A guest placed while sampling slowly restarts the loop at full rate (placeGuest).
    const hz = guests.size > 0 ? policy.sampleHz : Math.min(policy.sampleHz, policy.sampleHzWithoutGuests);
    timer = opts.timers.set(1000 / hz, () => {
      timer = null;
      sample()
        .then(() => {
          if (monitorError) log.info('QoS monitor sampling again');
          monitorError = null;
        })
        .catch((err: unknown) => {
          // Without the addon (not built, unsupported OS) limits are still enforced; say so once.
          const msg = (err as Error).message;
          if (msg !== monitorError) log.error({ err }, 'QoS sample failed: the owner is not monitored, limits stay as they are');
          monitorError = msg;
        })
        .finally(schedule);
    });
  }

  function restartLoop(): void {
    timer?.cancel();
    timer = null;
    prevSweep = null;
    schedule();
  }

  function checkFits(l: DonationLimits): void {
    const bad = l.cores?.find((c) => c >= opts.cpuCount);
    if (bad !== undefined) throw new QosLimitsError(`cores: core ${bad} does not exist (this machine has cores 0–${opts.cpuCount - 1})`, 'cores');
    if (l.memoryMiB !== null && l.memoryMiB * MiB > totalMem) throw new QosLimitsError(`memoryMiB: ${l.memoryMiB} MiB is more than this machine has (${Math.floor(totalMem / MiB)} MiB)`, 'memoryMiB');
  }

  const toIso = (ms: number | null): string | null => (ms === null ? null : new Date(wall() - (opts.clock.now() - ms)).toISOString());

  const qos: Qos = {
    async start() {
      if (running) return;
      running = true;
      layout = opts.layout ?? detectCgroupLayout();
      if (layout.kind === 'none') {
        log.warn({ reason: layout.reason }, 'no cgroups to enforce limits with: guests will not be limited');
      } else {
        try {
          driver = createCgroupDriver({ layout, cpuCount: opts.cpuCount, ...(opts.cgroupBase !== undefined ? { base: opts.cgroupBase } : {}) });
          topGroup = driver.group(rootName);
          guestGroup = driver.group(guestName);
          syncRules();
        } catch (err) {
          log.error({ err }, 'cannot set up the guests\' cgroup');
          layout = { kind: 'none', reason: (err as Error).message };
          driver = null;
          guestGroup = null;
          topGroup = null;
        }
      }
      decision = currentDecision(opts.clock.now());
      enforce(decision, limits, true);
      log.info({ layout: layout.kind, group: guestGroup?.dirs ?? null, mode: decision.mode, sampleHz: policy.sampleHz }, 'QoS started');
      schedule();
    },
    async stop() {
      running = false;
      timer?.cancel();
      timer = null;
      if (inFlight) await inFlight.catch(() => undefined);
      idleSource?.stop?.();
      releaseThreads();
      for (const name of ruleStates.keys()) {
        try {
          driver?.remove(name);
        } catch (err) {
          log.warn({ err, group: name }, 'cannot release a local rule group');
        }
      }
      ruleStates.clear();
      // Guests may outlive the agent (the VM host decides); an empty group is tidied away.
      if (driver && guestGroup && guestGroup.pids().length === 0) {
        try {
          driver.remove(guestName);
          driver.remove(rootName);
        } catch (err) {
          log.warn({ err }, 'cannot remove the guests\' group');
        }
        guestGroup = null;
      }
      log.info('QoS stopped');
    },
    applyLimits(input) {
      const r = DonationLimits.safeParse(input);
      if (!r.success) {
        const { field, message } = firstIssue(r.error);
        throw new QosLimitsError(message, field);
      }
      const next = r.data;
      checkFits(next);
      const old = limits;
      const wasOn = old.qos;
      limits = next;
      const now = opts.clock.now();
      try {
        decision = currentDecision(now);
        enforce(decision, limits);
      } catch (err) {
        limits = old;
        try {
          decision = currentDecision(now);
          enforce(decision, limits, true);
        } catch (again) {
          log.error({ err: again }, 'cannot restore the previous guest limits');
        }
        throw new QosLimitsError(`limits could not be applied: ${(err as Error).message}`, 'limits');
      }
      if (!limits.qos) releaseThreads();
      if (wasOn !== limits.qos) {
        log.info({ qos: limits.qos }, limits.qos ? 'QoS on: monitoring the owner' : 'QoS off: no throttling, no monitoring');
        restartLoop();
      }
      return limits;
    },
    applyPolicy(input) {
      const r = QosPolicy.safeParse(input);
      if (!r.success) {
        const { field, message } = firstIssue(r.error);
        throw new QosLimitsError(message, field);
      }
      const hzChanged = r.data.sampleHz !== policy.sampleHz || r.data.sampleHzWithoutGuests !== policy.sampleHzWithoutGuests;
      policy = r.data;
      classifier.configure(classifierOptions(policy));
      if (hzChanged) restartLoop();
      return policy;
    },
    applyRules(input) {
      const r = LocalRules.safeParse(input);
      if (!r.success) {
        const { field, message } = firstIssue(r.error);
        throw new QosLimitsError(message, field === '(body)' ? 'rules' : `rules.${field}`);
      }
      const old = rules;
      rules = r.data;
      try {
        syncRules();
      } catch (err) {
        rules = old;
        syncRules();
        throw new QosLimitsError(`rules could not be applied: ${(err as Error).message}`, 'rules');
      }
      return rules;
    },
    reportPresence(r) {
      presence.report(r, opts.clock.now());
    },
    setPaused(p) {
      paused = p;
      decision = currentDecision(opts.clock.now());
      enforce(decision, limits);
    },
    placeGuest(pid, g = {}) {
      if (!guestGroup) {
        log.warn({ pid }, 'no guests\' cgroup: the guest runs unlimited');
        return false;
      }
      onGroups((g) => g.addPid(pid), (g, t) => {
        if (applied) {
          t?.configure({ cpuPercent: null, cores: null, memoryBytes: null, idle: applied.idle, weight: 100 });
          g.configure(applied);
        }
        g.addPid(pid);
      });
      const first = guests.size === 0;
      guests.set(pid, { pid, id: g.id ?? `pid-${pid}`, memoryMiB: g.memoryMiB ?? null, placedAt: opts.clock.now() });
      if (first && running && limits.qos && policy.sampleHzWithoutGuests < policy.sampleHz) {
        // Keep the previous sweep: the next sample compares against it and comes at full rate.
        timer?.cancel();
        timer = null;
        schedule();
      }
      return true;
    },
    removeGuest(pid) {
      if (!guests.delete(pid)) return;
      if (decision) {
        try {
          enforce(decision, limits);
        } catch (err) {
          log.error({ err }, 'cannot apply guest limits');
        }
      }
    },
    guestUsage() {
      try {
        return guestGroup?.usage() ?? null;
      } catch {
        return null;
      }
    },
    status() {
      const view = classifier.view();
      const on = limits.qos;
      return {
        enabled: on,
        layout: layout?.kind ?? 'none',
        layoutError: layout?.kind === 'none' ? layout.reason : null,
        guestGroup: guestGroup ? guestName : null,
        mode: decision?.mode ?? (on ? 'run' : 'off'),
        reason: decision?.reason ?? 'not started',
        owner: {
          state: view.state,
          since: toIso(view.since)!,
          cpuPercent: on ? view.cpuPercent : null,
          peakCpuPercent: on ? view.peakCpuPercent : null,
          idleSeconds: on && lastIdle.value !== null && Number.isFinite(lastIdle.value) ? lastIdle.value : null,
          idleSource: lastIdle.source,
          onBattery: lastBattery.value,
          batterySource: lastBattery.source,
          fullscreen: null,
          fullscreenSource: 'not detectable by the agent; the desktop app does not report it yet',
        },
        applied: applied && { cpuPercent: applied.cpuPercent ?? 100, cores: applied.cores ? [...applied.cores] : null, memoryMiB: applied.memoryMiB, idle: applied.idle },
        guestCpuPercent: on ? guestCpuPercent : null,
        guestThreadCores: on ? threadCores : null,
        guests: [...guests.values()].map((g) => ({ pid: g.pid, id: g.id, memoryMiB: g.memoryMiB })),
        memoryShortfall,
        rules: [...ruleStates.values()].map((st) => ({
          exe: st.rule.exe, pids: st.group?.pids() ?? [], cpuPercent: st.cpuPercent, memoryMiB: st.rule.memoryMiB, breaches: st.breaches, lastBreach: toIso(st.lastBreach),
        })),
        monitorError,
        lastSampleAt: toIso(lastSampleAt),
        sampleMs,
      };
    },
    on(_event, fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    sample,
    trends() {
      const processes = new Map<string, Trend>();
      for (const p of prevSweep?.processes ?? []) {
        const t = processTrends.get(processKey(p));
        if (t) processes.set(`${p.pid}`, t);
      }
      return { processes, cores: (prevSweep?.cores ?? []).map((c) => coreTrends.get(c.core)) };
    },
  };
  return qos;
}
