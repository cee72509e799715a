// Bundles the Electron side into dist/electron/: main (ESM, Electron's Node), the sandboxed preload
// (ONE CommonJS file: a sandboxed preload can neither import ESM nor require npm packages), and
// the agent entry the app forks as a utilityProcess (it loads the agent bundle at run time).
import { build, type BuildOptions } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}dist/electron`;

const common: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  sourcemap: 'linked',
  legalComments: 'linked',
  logLevel: 'warning',
  external: ['electron'],
};

await Promise.all([
  build({
    ...common,
    entryPoints: { main: `${root}electron/main/index.ts` },
    outdir: out,
    outExtension: { '.js': '.js' },
    format: 'esm',
    // Loaded only when a preset turns updates on; packaged from node_modules with the app.
    external: ['electron', 'electron-updater', '@ronomon/reed-solomon', '*.node'],
    banner: { js: "import { createRequire as __phantomRequire } from 'node:module'; const require = __phantomRequire(import.meta.url);" },
  }),
  build({
    ...common,
    entryPoints: { preload: `${root}electron/preload/index.ts` },
    outdir: out,
    outExtension: { '.js': '.cjs' },
    format: 'cjs',
    platform: 'browser',
    target: 'chrome140',
    minify: true,
  }),
  build({
    ...common,
    entryPoints: { 'agent-entry': `${root}electron/main/agent-entry.ts` },
    outdir: out,
    outExtension: { '.js': '.mjs' },
    format: 'esm',
    // The agent bundle is a sibling build (dist/agent/phantom.mjs), imported at run time.
    external: ['electron', '../agent/phantom.mjs'],
  }),
]);
