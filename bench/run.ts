// Usage: npm run bench -- <name> [--quick] [args…]
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { formatTable, type Benchmark } from './harness.ts';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.replace(/\.bench\.ts$/, ''))
  .sort();

const argv = process.argv.slice(2);
const name = argv.find((a) => !a.startsWith('-'));
if (!name || argv.includes('--help')) {
  process.stderr.write(`usage: npm run bench -- <name> [--quick] [args…]\nbenchmarks: ${available.join(', ')}\n`);
  process.exit(name ? 0 : 2);
}
const file = join(here, `${name}.bench.ts`);
if (!/^[a-z0-9-]+$/.test(name) || !existsSync(file)) {
  process.stderr.write(`unknown benchmark "${name}"; available: ${available.join(', ')}\n`);
  process.exit(2);
}

const mod = (await import(pathToFileURL(file).href)) as { default: Benchmark };
const args = argv.filter((a) => a !== name && a !== '--quick');
const result = await mod.default({
  quick: argv.includes('--quick'),
  args,
  progress: (line) => process.stderr.write(`[${name}] ${line}\n`),
});
process.stdout.write(`${formatTable(result.table)}\n`);
process.stdout.write(`${JSON.stringify({ bench: name, ...result.figures })}\n`);
