// What the guests may have right now, from the donation limits, the owner and the clock. Pure.
import type { DonationLimits, QosMode, QosPolicy } from '../../../contract/index.ts';
import type { OwnerView } from './owner-classifier.ts';

export interface Decision {
  readonly mode: QosMode;
  readonly reason: string;
  /** Percent of the machine for the guests' group; 0 = the smallest quota the kernel allows. */
  readonly cpuPercent: number;
  readonly cores: readonly number[] | null;
  readonly idle: boolean;
  /** Guests are held back below their donation because of the owner, battery or schedule. */
  readonly pressure: boolean;
}

export interface PolicyInput {
  readonly limits: DonationLimits;
  readonly policy: QosPolicy;
  readonly owner: OwnerView;
  /** Seconds since the last input; null = unknown. */
  readonly idleSeconds: number | null;
  readonly onBattery: boolean | null;
  /** Paused by the owner (tray, control API). */
  readonly paused: boolean;
  /** Wall-clock ms for the schedule, in the machine's local time. */
  readonly wallMs: number;
  readonly now: number;
}

const minutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether local time falls in one of the windows; a window whose end is before its start runs past midnight. */
export function inSchedule(windows: DonationLimits['schedule'], wallMs: number): boolean {
  if (windows.length === 0) return true;
  const d = new Date(wallMs);
  const day = d.getDay();
  const m = d.getHours() * 60 + d.getMinutes();
  return windows.some((w) => {
    const from = minutes(w.from), to = minutes(w.to);
    if (from === to) return w.days.includes(day);
    if (from < to) return w.days.includes(day) && m >= from && m < to;
    return (w.days.includes(day) && m >= from) || (w.days.includes((day + 6) % 7) && m < to);
  });
}

export function decide(i: PolicyInput): Decision {
  const { limits, policy, owner } = i;
  const base = { cores: limits.cores, idle: limits.qos };
  const pause = (reason: string): Decision => ({ ...base, mode: 'paused', reason, cpuPercent: 0, pressure: true });
  if (i.paused) return pause('paused by the owner');
  if (!limits.qos) return { ...base, mode: 'off', reason: 'QoS off (dedicated node): the donation applies, no throttling', cpuPercent: limits.cpuPercent, pressure: false };
  if (!inSchedule(limits.schedule, i.wallMs)) return pause('outside the donation schedule');
  if (limits.pauseOnBattery && i.onBattery === true) return pause('on battery');
  if (limits.onlyWhenIdleMinutes > 0) {
    const need = limits.onlyWhenIdleMinutes * 60;
    const quietFor = owner.lastActiveAt === null ? Infinity : (i.now - owner.lastActiveAt) / 1000;
    const idleFor = Math.min(quietFor, i.idleSeconds ?? Infinity);
    if (idleFor < need) return pause(`owner not idle for ${limits.onlyWhenIdleMinutes} min yet (${Math.floor(idleFor)} s)`);
  }
  if (owner.state === 'active') {
    // Leave the owner their recent peak plus headroom; cpu.idle already gives them any core they
    // reach for, the quota keeps guests from filling what the owner may want a moment later.
    const free = Math.max(0, 100 - (owner.peakCpuPercent ?? 0) - policy.headroomPercent);
    const cpuPercent = Math.min(limits.cpuPercent, Math.floor(free));
    return {
      ...base,
      mode: 'throttled',
      reason: `owner active (${owner.activeBecause ?? 'within the quiet period'})`,
      cpuPercent,
      pressure: cpuPercent < limits.cpuPercent,
    };
  }
  return { ...base, mode: 'run', reason: 'owner away', cpuPercent: limits.cpuPercent, pressure: false };
}

/** Start of the current stretch of pressure, for "pressure beyond a policy time → migrate". */
export interface PressureTracker {
  /** Returns true once per stretch, when it has lasted migrateAfterMs. */
  update(pressure: boolean, now: number, migrateAfterMs: number): boolean;
  readonly since: number | null;
}

export function createPressureTracker(): PressureTracker {
  let since: number | null = null;
  let fired = false;
  return {
    update(pressure, now, after) {
      if (!pressure) {
        since = null;
        fired = false;
        return false;
      }
      since ??= now;
      if (!fired && now - since >= after) {
        fired = true;
        return true;
      }
      return false;
    },
    get since() {
      return since;
    },
  };
}
