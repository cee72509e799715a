import { closeSync, copyFileSync, existsSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { HttpError } from '../api/errors.ts';
import type { RunInput } from './executor.ts';
import type { JobPlan, PendingResult } from './table.ts';
import type { PlannedInput } from './validate.ts';

/**
 * Moving bytes on the submitter: inputs are snapshotted into the job's folder when it is submitted
 * (so a job survives its inputs being edited, and travels whole to a remote node), and outputs are
 * delivered from an attempt's staging folder to their destinations.
 */

const bad = (field: string, message: string): HttpError => new HttpError(400, 'bad_request', `${field}: ${message}`, field);

function listTree(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...listTree(root, r));
    else if (entry.isFile()) out.push(r);
  }
  return out.sort();
}

/** Copies every input into `dir`, checking each exists, is readable and fits; names the field if not. */
export function stageInputs(inputs: readonly PlannedInput[], dir: string, maxBytes: number): RunInput[] {
  const staged: RunInput[] = [];
  let total = 0;
  const add = (field: string, path: string, write: (to: string) => void, size: number) => {
    total += size;
    if (total > maxBytes) throw bad(field, `inputs total more than ${maxBytes} bytes, the most one job may carry`);
    const to = join(dir, path);
    mkdirSync(dirname(to), { recursive: true, mode: 0o700 });
    write(to);
    staged.push({ path, file: to, sizeBytes: size });
  };
  for (const input of inputs) {
    const { source } = input;
    if (source.kind === 'content') {
      const data = Buffer.from(source.content, 'utf8');
      add(`${input.field}.content`, input.path, (to) => writeFileSync(to, data, { mode: 0o600 }), data.length);
      continue;
    }
    const field = `${input.field}.url`;
    let st;
    try {
      st = statSync(source.file);
    } catch (err) {
      throw bad(field, `cannot read ${source.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    if (source.directory !== st.isDirectory()) {
      throw bad(field, `${source.file} is ${st.isDirectory() ? 'a directory; set type DIRECTORY' : 'not a directory, but the input is typed DIRECTORY'}`);
    }
    const files = st.isDirectory() ? listTree(source.file).map((r) => ({ from: join(source.file, r), path: `${input.path}/${r}` })) : [{ from: source.file, path: input.path }];
    for (const f of files) {
      try {
        add(field, f.path, (to) => copyFileSync(f.from, to), statSync(f.from).size);
      } catch (err) {
        if (err instanceof HttpError) throw err;
        throw bad(field, `cannot read ${f.from}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    }
  }
  return staged;
}

/**
 * What an attempt's staged outputs become: each declared output matched to the files the executor
 * wrote, and where each one goes. Missing FILE outputs are reported, not invented.
 */
export function matchOutputs(plan: Pick<JobPlan, 'outputs'>, outputDir: string): { files: PendingResult['files'][number][]; missing: string[] } {
  const files: PendingResult['files'][number][] = [];
  const missing: string[] = [];
  const present = existsSync(outputDir) ? listTree(outputDir) : [];
  for (const out of plan.outputs) {
    if (out.kind === 'FILE') {
      if (!present.includes(out.path)) {
        missing.push(`/job/${out.path}`);
        continue;
      }
      const size = statSync(join(outputDir, out.path)).size;
      files.push({ staged: out.path, dest: out.dest, file: { path: `/job/${out.path}`, url: pathToFileURL(out.dest).href, sizeBytes: size } });
      continue;
    }
    const prefix = out.path === '' ? '' : `${out.path}/`;
    for (const rel of present.filter((p) => p.startsWith(prefix))) {
      const dest = join(out.dest, rel.slice(prefix.length));
      const size = statSync(join(outputDir, rel)).size;
      files.push({ staged: rel, dest, file: { path: `/job/${rel}`, url: pathToFileURL(dest).href, sizeBytes: size } });
    }
  }
  return { files, missing };
}

/**
 * Puts each staged file at its destination: copy beside it, fsync, rename. Running it again after a
 * crash gives the same files (the staged copies stay until the delivery is journaled).
 */
export function deliverFiles(pending: PendingResult, outputDir: string): void {
  for (const f of pending.files) {
    const from = join(outputDir, f.staged);
    if (!existsSync(from)) {
      // Already delivered by a run that crashed before journaling it.
      if (existsSync(f.dest) && lstatSync(f.dest).isFile()) continue;
      throw new Error(`staged output ${from} is gone and ${f.dest} was never written`);
    }
    mkdirSync(dirname(f.dest), { recursive: true });
    const tmp = `${f.dest}.phantom-${process.pid}.tmp`;
    copyFileSync(from, tmp);
    const fd = openSync(tmp, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, f.dest);
  }
}

export function removeTree(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
