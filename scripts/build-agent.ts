// Bundles the agent and CLI into one ESM file (dist/agent/phantom.mjs). The daemon runs from it:
// one module instead of hundreds, no type stripping at start, and a smaller resident set.
// bin/phantom.js uses it only while it is newer than every source file, so edits are never stale.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

await build({
  entryPoints: [`${root}agent/src/cli/main.ts`],
  outfile: `${root}dist/agent/phantom.mjs`,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  // Native addons are loaded from their own folders at run time.
  external: ['@ronomon/reed-solomon', '*.node'],
  // CommonJS dependencies call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __phantomRequire } from 'node:module'; const require = __phantomRequire(import.meta.url);" },
  logLevel: 'warning',
});
