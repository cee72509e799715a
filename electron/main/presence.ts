import type { PresenceReport } from '../../contract/index.ts';
import type { HostTimers } from './agent-host.ts';

/** The parts of Electron's powerMonitor this uses. */
export interface PowerMonitorLike {
  on(event: 'on-battery' | 'on-ac' | 'lock-screen' | 'unlock-screen' | 'suspend' | 'resume', listener: () => void): unknown;
  isOnBatteryPower(): boolean;
  getSystemIdleTime(): number;
}

export interface PresenceOptions {
  readonly powerMonitor: PowerMonitorLike;
  readonly report: (r: PresenceReport) => Promise<unknown>;
  readonly timers: Pick<HostTimers, 'setTimeout' | 'clearTimeout'>;
  /** How often idle time is read; the agent's own sampling reacts to activity faster. */
  readonly idlePollMs?: number;
  /** Idle time is reported when it moves by at least this much (or drops to 0: the owner is back). */
  readonly idleStepSeconds?: number;
  readonly log: { debug(obj: object, msg: string): void };
}

/**
 * Forwards what only the desktop session knows (battery, screen lock, suspend, idle time) to the
 * agent, which decides what to do with it. Reports are sent on change only.
 */
export function setupPresence(opts: PresenceOptions) {
  const poll = opts.idlePollMs ?? 5000;
  const step = opts.idleStepSeconds ?? 30;
  let lastIdle = -1;
  let timer: unknown = null;
  let stopped = false;

  const send = (r: PresenceReport) => {
    opts.report(r).catch((err: unknown) => opts.log.debug({ err: (err as Error).message, report: r }, 'presence report not delivered'));
  };
  const pm = opts.powerMonitor;
  pm.on('on-battery', () => send({ onBattery: true }));
  pm.on('on-ac', () => send({ onBattery: false }));
  pm.on('lock-screen', () => send({ screenLocked: true }));
  pm.on('unlock-screen', () => send({ screenLocked: false }));
  pm.on('suspend', () => send({ suspended: true }));
  pm.on('resume', () => send({ suspended: false }));

  const readIdle = () => {
    if (stopped) return;
    const idle = Math.max(0, Math.floor(pm.getSystemIdleTime()));
    const back = idle < lastIdle;
    if (lastIdle < 0 || back || idle - lastIdle >= step) {
      lastIdle = idle;
      send({ idleSeconds: idle });
    }
    timer = opts.timers.setTimeout(readIdle, poll);
  };

  let locked = false;
  pm.on('lock-screen', () => void (locked = true));
  pm.on('unlock-screen', () => void (locked = false));
  const full = () => {
    lastIdle = Math.max(0, Math.floor(pm.getSystemIdleTime()));
    send({ onBattery: pm.isOnBatteryPower(), idleSeconds: lastIdle, screenLocked: locked, suspended: false });
  };

  return {
    /** Sends the full picture and begins idle polling. */
    start() {
      full();
      if (timer === null) timer = opts.timers.setTimeout(readIdle, poll);
    },
    /** Sends the full picture again: a (re)started agent knows nothing of the session. */
    resync: full,
    stop() {
      stopped = true;
      if (timer !== null) opts.timers.clearTimeout(timer);
      timer = null;
    },
  };
}
