import type { BrowserWindow, Menu as MenuT, NativeImage, Rectangle, Tray as TrayT, MenuItemConstructorOptions } from 'electron';
import { trayIconBitmap } from './tray-icon.ts';
import { trayMenuTemplate, type TrayActions } from './tray-menu.ts';
import type { TrayState, TrayView } from './tray-state.ts';

export interface TrayDeps {
  readonly Tray: new (image: NativeImage) => TrayT;
  readonly Menu: { buildFromTemplate(template: MenuItemConstructorOptions[]): MenuT };
  readonly nativeImage: { createFromBitmap(buffer: Buffer, options: { width: number; height: number; scaleFactor?: number }): NativeImage };
  /** Creates the sliders popover (through the secure window factory). */
  readonly createPopover: () => BrowserWindow;
}

const ICON_SIZE = 32;

/** Where the popover goes: under (or above, at the bottom of the screen) the tray icon, inside the work area. */
export function popoverPosition(trayBounds: Rectangle, size: { width: number; height: number }, workArea: Rectangle): { x: number; y: number } {
  const centre = trayBounds.x + trayBounds.width / 2;
  let x = Math.round(centre - size.width / 2);
  let y = trayBounds.y + trayBounds.height + 4;
  if (y + size.height > workArea.y + workArea.height) y = trayBounds.y - size.height - 4;
  x = Math.max(workArea.x, Math.min(x, workArea.x + workArea.width - size.width));
  y = Math.max(workArea.y, Math.min(y, workArea.y + workArea.height - size.height));
  return { x, y };
}

/** The tray icon, its menu, and the sliders popover; `update` redraws them for a new state. */
export function setupTray(deps: TrayDeps, actions: Omit<TrayActions, 'sliders'>, workArea: () => Rectangle) {
  const icons = new Map<TrayState, NativeImage>();
  const icon = (state: TrayState) => {
    let img = icons.get(state);
    if (!img) {
      img = deps.nativeImage.createFromBitmap(trayIconBitmap(state, ICON_SIZE), { width: ICON_SIZE, height: ICON_SIZE, scaleFactor: 2 });
      icons.set(state, img);
    }
    return img;
  };
  const tray = new deps.Tray(icon('offline'));
  let popover: BrowserWindow | null = null;

  const togglePopover = () => {
    if (popover && !popover.isDestroyed()) {
      if (popover.isVisible()) popover.hide();
      else popover.show();
      return;
    }
    const win = deps.createPopover();
    popover = win;
    const place = () => {
      const { width, height } = win.getBounds();
      win.setPosition(...(Object.values(popoverPosition(tray.getBounds(), { width, height }, workArea())) as [number, number]));
      win.show();
    };
    win.once('ready-to-show', place);
    win.on('blur', () => win.hide());
    win.on('closed', () => {
      if (popover === win) popover = null;
    });
  };

  const all: TrayActions = { ...actions, sliders: togglePopover };
  let last: TrayView | null = null;
  const update = (view: TrayView) => {
    if (last && last.state === view.state && last.summary === view.summary) return;
    last = view;
    tray.setImage(icon(view.state));
    tray.setToolTip(`Phantom Grid: ${view.summary}`);
    tray.setContextMenu(deps.Menu.buildFromTemplate(trayMenuTemplate(view, all)));
  };
  update({ state: 'offline', summary: 'Starting…', pause: null });
  tray.on('click', togglePopover);

  return {
    update,
    destroy() {
      if (popover && !popover.isDestroyed()) popover.destroy();
      tray.destroy();
    },
  };
}
