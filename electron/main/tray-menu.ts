import type { MenuItemConstructorOptions } from 'electron';
import type { TrayView } from './tray-state.ts';

export interface TrayActions {
  open(): void;
  /** The small popover window with the donation sliders. */
  sliders(): void;
  pauseFor(ms: number): void;
  pauseUntilTomorrow(): void;
  resume(): void;
  quit(): void;
}

export const HOUR_MS = 3_600_000;

/** The tray menu for a state; pause items only while there is an agent to pause. */
export function trayMenuTemplate(view: TrayView, actions: TrayActions): MenuItemConstructorOptions[] {
  const reachable = view.state !== 'offline' && view.state !== 'error';
  const paused = view.state === 'paused';
  return [
    { label: view.summary, enabled: false },
    { type: 'separator' },
    { id: 'pause-1h', label: 'Pause for 1 hour', enabled: reachable, visible: !paused, click: () => actions.pauseFor(HOUR_MS) },
    { id: 'pause-tomorrow', label: 'Pause until tomorrow 06:00', enabled: reachable, visible: !paused, click: () => actions.pauseUntilTomorrow() },
    { id: 'resume', label: 'Resume', enabled: reachable, visible: paused, click: () => actions.resume() },
    { type: 'separator' },
    { id: 'sliders', label: 'Donation sliders…', enabled: reachable, click: () => actions.sliders() },
    { id: 'open', label: 'Open Phantom Grid', click: () => actions.open() },
    { id: 'quit', label: 'Quit', click: () => actions.quit() },
  ];
}
