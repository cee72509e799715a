import type { BrowserWindow, BrowserWindowConstructorOptions, WebContents } from 'electron';
import { appUrl, isAppUrl, type AppView } from './app-origin.ts';

/** The webPreferences every app window gets; nothing else may create a window. */
export function secureWebPreferences(preload: string): NonNullable<BrowserWindowConstructorOptions['webPreferences']> {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  };
}

type Contents = Pick<WebContents, 'on' | 'setWindowOpenHandler'>;

/**
 * Applied to every webContents the app creates (app 'web-contents-created'): no navigation away
 * from the app, no new windows, no <webview>. Links to the web open in the owner's browser.
 */
export function hardenContents(contents: Contents, openExternal: (url: string) => void): void {
  const guard = (event: { preventDefault(): void }, url: string) => {
    if (!isAppUrl(url)) event.preventDefault();
  };
  contents.on('will-navigate', guard);
  contents.on('will-redirect', guard);
  contents.on('will-frame-navigate', (event) => guard(event, event.url));
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (/^https:\/\//.test(url)) openExternal(url);
    return { action: 'deny' };
  });
}

export interface WindowDeps {
  readonly BrowserWindow: new (options: BrowserWindowConstructorOptions) => BrowserWindow;
  readonly preload: string;
  /** Registered with the IPC sender check; removed when the window closes. */
  readonly trustedContents: Set<number>;
  readonly backgroundColor: () => string;
}

const SIZES: Record<AppView, BrowserWindowConstructorOptions> = {
  main: { width: 1000, height: 720, minWidth: 640, minHeight: 480, show: false },
  popover: { width: 340, height: 420, frame: false, resizable: false, show: false, skipTaskbar: true, alwaysOnTop: true, fullscreenable: false },
};

/** The one window factory: every window is sandboxed, isolated and shows only the app's pages. */
export function createAppWindow(deps: WindowDeps, view: AppView): BrowserWindow {
  const win = new deps.BrowserWindow({
    ...SIZES[view],
    title: 'Phantom Grid',
    backgroundColor: deps.backgroundColor(),
    webPreferences: secureWebPreferences(deps.preload),
  });
  const id = win.webContents.id;
  deps.trustedContents.add(id);
  win.on('closed', () => deps.trustedContents.delete(id));
  void win.loadURL(appUrl(view));
  return win;
}

/** The main window: one, created on demand, shown on `open` and on a second launch. */
export function setupWindows(deps: WindowDeps) {
  let main: BrowserWindow | null = null;
  return {
    open(): BrowserWindow {
      if (main && !main.isDestroyed()) {
        if (main.isMinimized()) main.restore();
        main.show();
        main.focus();
        return main;
      }
      const win = createAppWindow(deps, 'main');
      main = win;
      win.once('ready-to-show', () => win.show());
      win.on('closed', () => {
        if (main === win) main = null;
      });
      return win;
    },
    get main() {
      return main;
    },
  };
}

export interface SecurityDeps {
  readonly app: { on(event: 'web-contents-created', listener: (event: unknown, contents: Contents) => void): unknown };
  readonly session: {
    setPermissionRequestHandler(handler: (wc: unknown, permission: string, grant: (ok: boolean) => void) => void): void;
    setPermissionCheckHandler(handler: () => boolean): void;
  };
  readonly openExternal: (url: string) => void;
}

/** Every webContents is locked to the app, and no web permission (camera, notifications, …) is ever granted to a page. */
export function setupSecurity(deps: SecurityDeps): void {
  deps.app.on('web-contents-created', (_e, contents) => hardenContents(contents, deps.openExternal));
  deps.session.setPermissionRequestHandler((_wc, _permission, grant) => grant(false));
  deps.session.setPermissionCheckHandler(() => false);
}
