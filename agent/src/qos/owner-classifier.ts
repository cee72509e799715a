// Is the owner at the machine? Asymmetric hysteresis: any sign of the owner makes them active at
// the sample that sees it; they count as away only after quietMs without one, so a short spike
// does not make the guests flap. Pure: time is passed in.
import type { OwnerState } from '../../../contract/index.ts';

export interface OwnerSignals {
  /** Owner CPU load, percent of the machine (agent and guests excluded); null = unknown. */
  readonly cpuPercent: number | null;
  /** Seconds since the last keyboard/mouse input; null = unknown. */
  readonly idleSeconds: number | null;
  /** A full-screen window has focus (games, video, presentations); null = unknown. */
  readonly fullscreen: boolean | null;
}

export interface OwnerClassifierOptions {
  /** Owner CPU at or above this (percent of the machine) is activity. */
  readonly busyPercent: number;
  /** Input within this many seconds is activity. */
  readonly inputActiveSeconds: number;
  /** Quiet this long before active turns into away. */
  readonly quietMs: number;
}

export interface OwnerView {
  readonly state: OwnerState;
  /** When state last changed. */
  readonly since: number;
  /** Last sample with a sign of the owner; null = never seen. */
  readonly lastActiveAt: number | null;
  /** Why the owner counts as active at the last sample; null = no sign at that sample. */
  readonly activeBecause: string | null;
  /** Highest owner CPU within the last quietMs: rises at once, falls only when the peak ages out. */
  readonly peakCpuPercent: number | null;
  readonly cpuPercent: number | null;
}

export interface OwnerClassifier {
  update(signals: OwnerSignals, now: number): OwnerView;
  view(): OwnerView;
  /** New tunables; the state and history carry over. */
  configure(opts: OwnerClassifierOptions): void;
}

export function createOwnerClassifier(initial: OwnerClassifierOptions, start: number): OwnerClassifier {
  let opts = initial;
  let state: OwnerState = 'away';
  let since = start;
  let lastActiveAt: number | null = null;
  let activeBecause: string | null = null;
  let cpu: number | null = null;
  // (time, owner cpu) within the quiet window; a monotonic deque would do, but a few dozen entries are cheap.
  let history: Array<{ t: number; cpu: number }> = [];

  const peak = (): number | null => (history.length ? Math.max(...history.map((h) => h.cpu)) : null);
  const view = (): OwnerView => ({ state, since, lastActiveAt, activeBecause, peakCpuPercent: peak(), cpuPercent: cpu });

  return {
    update(s, now) {
      cpu = s.cpuPercent;
      if (s.cpuPercent !== null) history.push({ t: now, cpu: s.cpuPercent });
      history = history.filter((h) => now - h.t <= opts.quietMs);
      const because: string[] = [];
      if (s.cpuPercent !== null && s.cpuPercent >= opts.busyPercent) because.push(`owner CPU ${s.cpuPercent.toFixed(0)}% ≥ ${opts.busyPercent}%`);
      if (s.idleSeconds !== null && s.idleSeconds < opts.inputActiveSeconds) because.push(`input ${s.idleSeconds.toFixed(0)} s ago`);
      if (s.fullscreen === true) because.push('a full-screen window');
      activeBecause = because.length ? because.join(', ') : null;
      if (activeBecause) {
        lastActiveAt = now;
        if (state !== 'active') {
          state = 'active';
          since = now;
        }
      } else if (state === 'active' && (lastActiveAt === null || now - lastActiveAt >= opts.quietMs)) {
        state = 'away';
        since = now;
      }
      return view();
    },
    view,
    configure(next) {
      opts = next;
    },
  };
}
