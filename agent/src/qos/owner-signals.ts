// Where the owner's presence comes from besides CPU load: input idle time, battery, full screen.
// Each source says where its answer came from, or why there is none, so status can tell the
// owner what the agent can and cannot see on this machine.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PresenceReport } from '../../../contract/index.ts';
import type { Clock, Timers } from '../net/transport.ts';

export interface Reading<T> {
  readonly value: T | null;
  /** Where the value came from, or why it is unknown. */
  readonly source: string;
}

export interface IdleSource {
  /** Seconds since the last input, as of now (ms, the QoS clock). */
  idleSeconds(now: number): Reading<number>;
  stop?(): void;
}

export interface BatterySource {
  onBattery(): Reading<boolean>;
}

// --- desktop app ---------------------------------------------------------------------------

/** What the desktop app reports through the control API; newer reports replace older fields. */
export interface PresenceStore {
  report(r: PresenceReport, now: number): void;
  idle: IdleSource;
  battery: BatterySource;
  /** True while the screen is locked or the machine is suspending: the owner is not there. */
  away(): boolean;
}

export function createPresenceStore(): PresenceStore {
  let idleAt: { seconds: number; at: number } | null = null;
  let onBattery: boolean | null = null;
  let locked = false;
  let suspended = false;
  return {
    report(r, now) {
      if (r.idleSeconds !== undefined) idleAt = { seconds: r.idleSeconds, at: now };
      if (r.onBattery !== undefined) onBattery = r.onBattery;
      if (r.screenLocked !== undefined) locked = r.screenLocked;
      if (r.suspended !== undefined) suspended = r.suspended;
    },
    idle: {
      idleSeconds(now) {
        if (locked || suspended) return { value: Infinity, source: 'desktop app: screen locked' };
        if (!idleAt) return { value: null, source: 'desktop app has not reported idle time' };
        // The report was true when sent; with no newer report the owner has stayed idle since.
        return { value: idleAt.seconds + Math.max(0, now - idleAt.at) / 1000, source: 'desktop app' };
      },
    },
    battery: { onBattery: () => (onBattery === null ? { value: null, source: 'desktop app has not reported power' } : { value: onBattery, source: 'desktop app' }) },
    away: () => locked || suspended,
  };
}

// --- headless: input-device interrupts -------------------------------------------------------

const INPUT_IRQ = /i8042|keyboard|mouse|touchpad|i2c_hid|hid-multitouch|atkbd|psmouse/i;

/** Sums the interrupt counts of input-device lines of /proc/interrupts; null = no such line. */
export function inputInterrupts(text: string): number | null {
  let sum: number | null = null;
  for (const line of text.split('\n').slice(1)) {
    if (!INPUT_IRQ.test(line)) continue;
    const counts = line.replace(/^\s*\S+:/, '').trim().split(/\s+/);
    let n = 0;
    for (const c of counts) {
      if (!/^\d+$/.test(c)) break;
      n += Number(c);
    }
    sum = (sum ?? 0) + n;
  }
  return sum;
}

/**
 * Idle time from input-device interrupts (PS/2, I2C HID): a change in their count is input.
 * USB keyboards share their controller's interrupt with other devices, so they are not counted.
 */
export function createInterruptIdleSource(readInterrupts: () => string = () => readFileSync('/proc/interrupts', 'utf8')): IdleSource {
  let last: number | null = null;
  let lastInputAt: number | null = null;
  let firstSeen: number | null = null;
  return {
    idleSeconds(now) {
      let n: number | null;
      try {
        n = inputInterrupts(readInterrupts());
      } catch (err) {
        return { value: null, source: `cannot read /proc/interrupts: ${(err as Error).message}` };
      }
      if (n === null) return { value: null, source: 'no input-device interrupts in /proc/interrupts (headless or USB-only input)' };
      firstSeen ??= now;
      if (last !== null && n !== last) lastInputAt = now;
      last = n;
      // Before the first input we know only that none came since we started watching.
      return { value: (now - (lastInputAt ?? firstSeen)) / 1000, source: 'input-device interrupts' };
    },
  };
}

// --- headless: logind ------------------------------------------------------------------------

/** Parses `loginctl show-session -p IdleHint -p IdleSinceHintMonotonic` output. */
export function parseLogindIdle(text: string, monotonicNowUs: number): number | null {
  const hint = /^IdleHint=(\w+)/m.exec(text)?.[1];
  if (hint === undefined) return null;
  if (hint !== 'yes') return 0;
  const since = Number(/^IdleSinceHintMonotonic=(\d+)/m.exec(text)?.[1] ?? NaN);
  return Number.isFinite(since) && since > 0 ? Math.max(0, (monotonicNowUs - since) / 1e6) : 0;
}

/**
 * logind's IdleHint for the graphical session (set by the desktop's idle monitor). Asked in the
 * background every pollMs because spawning loginctl each sample would cost more than the sweep.
 */
export function createLogindIdleSource(opts: { pollMs?: number; clock: Clock; timers: Timers }): IdleSource {
  const pollMs = opts.pollMs ?? 5000;
  let latest: Reading<number> = { value: null, source: 'logind: not asked yet' };
  let at = 0;
  let stopped = false;
  let timer: { cancel(): void } | null = null;
  let ok = false;
  const run = (cmd: string, args: string[]) =>
    new Promise<string>((resolve, reject) => execFile(cmd, args, { timeout: 2000 }, (err, out) => (err ? reject(err) : resolve(out))));
  const poll = async () => {
    try {
      const sessions = await run('loginctl', ['list-sessions', '--no-legend']);
      const ids = sessions.split('\n').map((l) => l.trim().split(/\s+/)[0]).filter((x): x is string => !!x);
      let best: number | null = null;
      for (const id of ids) {
        const out = await run('loginctl', ['show-session', id, '-p', 'Type', '-p', 'IdleHint', '-p', 'IdleSinceHintMonotonic']);
        if (!/^Type=(x11|wayland|mir)/m.test(out)) continue;
        const idle = parseLogindIdle(out, Number(process.hrtime.bigint() / 1000n));
        if (idle !== null) best = best === null ? idle : Math.min(best, idle);
      }
      latest = best === null ? { value: null, source: 'logind: no graphical session' } : { value: best, source: 'logind IdleHint' };
      ok = true;
    } catch (err) {
      latest = { value: null, source: `logind unavailable (${(err as Error).message.split('\n')[0]})` };
      ok = false;
    }
    at = opts.clock.now();
    // Without systemd (containers, other inits) asking often only costs a fork; ask rarely.
    if (!stopped) timer = opts.timers.set(ok ? pollMs : pollMs * 12, () => void poll());
  };
  void poll();
  return {
    idleSeconds(now) {
      if (latest.value === null) return latest;
      return { value: latest.value + (latest.value > 0 ? Math.max(0, now - at) / 1000 : 0), source: latest.source };
    },
    stop() {
      stopped = true;
      timer?.cancel();
    },
  };
}

/** First source with an answer wins; with none, every reason is kept. */
export function firstIdleSource(sources: readonly IdleSource[]): IdleSource {
  return {
    idleSeconds(now) {
      const why: string[] = [];
      for (const s of sources) {
        const r = s.idleSeconds(now);
        if (r.value !== null) return r;
        why.push(r.source);
      }
      return { value: null, source: `unknown: ${why.join('; ')}` };
    },
    stop() {
      for (const s of sources) s.stop?.();
    },
  };
}

// --- battery -------------------------------------------------------------------------------

/** /sys/class/power_supply: on battery when no mains supply is online and a battery discharges. */
export function createSysfsBatterySource(dir = '/sys/class/power_supply'): BatterySource {
  const read = (f: string): string | null => {
    try {
      return readFileSync(f, 'utf8').trim();
    } catch {
      return null;
    }
  };
  return {
    onBattery() {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        return { value: null, source: `${dir} missing: treated as mains power` };
      }
      let mains: boolean | null = null;
      let discharging = false;
      let batteries = 0;
      for (const n of names) {
        const type = read(join(dir, n, 'type'));
        if (type === 'Mains' || type === 'USB') mains = (mains ?? false) || read(join(dir, n, 'online')) === '1';
        if (type === 'Battery') {
          batteries++;
          if (read(join(dir, n, 'status')) === 'Discharging') discharging = true;
        }
      }
      if (batteries === 0) return { value: null, source: 'no battery in /sys/class/power_supply: mains power' };
      return { value: mains === true ? false : discharging, source: '/sys/class/power_supply' };
    },
  };
}

/** Both sources: the desktop app's word first, sysfs otherwise. */
export function firstBatterySource(sources: readonly BatterySource[]): BatterySource {
  return {
    onBattery() {
      const why: string[] = [];
      for (const s of sources) {
        const r = s.onBattery();
        if (r.value !== null) return r;
        why.push(r.source);
      }
      return { value: null, source: why.join('; ') };
    },
  };
}
