// `npm start`: the desktop app where an Electron binary exists; otherwise the browser fallback —
// the agent serves the built UI on 127.0.0.1 and prints (and, on a desktop, opens) a one-time URL.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const root = fileURLToPath(new URL('..', import.meta.url));
const electronDist = process.env.ELECTRON_OVERRIDE_DIST_PATH ?? join(root, 'node_modules/electron/dist');
const electronBin = join(electronDist, 'electron');
const electronMain = join(root, 'dist/electron/main.js');
const extra = process.argv.slice(2);

function forwardSignals(child: ReturnType<typeof spawn>): void {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
  child.on('exit', (code) => process.exit(code ?? 0));
}

if (existsSync(electronBin) && existsSync(electronMain)) {
  forwardSignals(spawn(electronBin, [electronMain, ...extra], { stdio: 'inherit' }));
} else {
  process.stdout.write('No Electron binary here: serving the Phantom Grid UI on 127.0.0.1 instead (Ctrl-C to stop).\n');
  const agent = spawn(process.execPath, [join(root, 'bin/phantom.js'), 'agent', '--ui', join(root, 'dist/renderer'), '--print-login-url', ...extra], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  forwardSignals(agent);
  const desktop = Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
  createInterface({ input: agent.stdout! }).on('line', (line) => {
    process.stdout.write(`${line}\n`);
    const url = /open the UI: (\S+)/.exec(line)?.[1];
    if (url && desktop) {
      const opener = spawn('xdg-open', [url], { stdio: 'ignore', detached: true });
      opener.on('error', () => process.stdout.write('(could not open a browser: open the URL above yourself)\n'));
      opener.unref();
    }
  });
}
