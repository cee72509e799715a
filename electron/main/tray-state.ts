import type { NodeStatus, PauseState } from '../../contract/index.ts';
import type { HostState } from './agent-host.ts';

export type TrayState = 'idle' | 'hosting' | 'paused' | 'offline' | 'error';

export interface TrayView {
  readonly state: TrayState;
  /** Shown as the tray tooltip and the first (disabled) menu line. */
  readonly summary: string;
  readonly pause: PauseState | null;
}

/** What the tray shows, from what main knows: the host process, the last status and pause read. */
export function trayView(host: HostState, status: NodeStatus | null, pause: PauseState | null, hostingJobs = 0): TrayView {
  if (host.kind === 'backoff') return { state: 'error', summary: `Agent stopped (exit ${host.lastExitCode ?? 'signal'}); restarting`, pause };
  if (host.kind === 'stopped' || !status) return { state: 'offline', summary: 'Agent not running', pause };
  if (pause?.paused || status.state === 'paused') {
    const until = pause?.until ? ` until ${new Date(pause.until).toLocaleString()}` : '';
    return { state: 'paused', summary: `Paused${until}`, pause };
  }
  if (hostingJobs > 0) return { state: 'hosting', summary: `Hosting ${hostingJobs} job${hostingJobs === 1 ? '' : 's'}`, pause };
  const role = status.role === 'unjoined' ? 'not joined to a grid' : status.role;
  return { state: 'idle', summary: `Ready · ${role} · donating ${status.limits.cpuPercent}% CPU`, pause };
}

/** "Until tomorrow" means tomorrow at 06:00 local time: a night's pause, not one that ends at midnight. */
export function tomorrowMorning(now: Date): Date {
  const d = new Date(now);
  d.setDate(d.getDate() + 1);
  d.setHours(6, 0, 0, 0);
  return d;
}
