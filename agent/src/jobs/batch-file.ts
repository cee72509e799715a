import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { describeIssue, TesTaskRequest } from '../../../contract/index.ts';
import { GUEST_IMAGE } from './validate.ts';
import { FieldError } from '../field-error.ts';

/**
 * What `phantom submit` builds: a TES task from command-line style options, and many of them from
 * a batch file. The batch file is JSON, version 1:
 *
 *   { "version": 1,
 *     "defaults": { "cores": 1, "mem": "256M", "vo": "physics", "in": ["common.dat"] },
 *     "jobs": [ { "name": "part-1", "command": ["wc", "-l", "part-1.txt"], "in": ["part-1.txt"], "out": "out/{name}" } ] }
 *
 * or, for TES users, { "version": 1, "tasks": [ <TES task documents> ] }. Relative paths are taken
 * from the batch file's folder; "out" may use {name} and {index}. A job's fields override the defaults
 * ("in" lists are joined).
 */

export interface SimpleJob {
  readonly command: readonly string[];
  /** Absolute host paths; each lands in /job under its base name. */
  readonly inputs: readonly string[];
  /** Absolute host folder the job's new files are delivered to, or null (stdout/stderr only). */
  readonly outDir: string | null;
  readonly cores?: number;
  readonly memoryMiB?: number;
  readonly vo?: string;
  readonly name?: string;
}

export class BatchFileError extends FieldError {
  override readonly name = 'BatchFileError';
}

export function buildTask(job: SimpleJob): TesTaskRequest {
  const names = new Map<string, string>();
  const inputs = job.inputs.map((file, i) => {
    const name = basename(file);
    const clash = names.get(name);
    if (clash !== undefined) throw new BatchFileError(`inputs ${clash} and ${file} would both be /job/${name}`, `in.${i}`);
    names.set(name, file);
    return { url: pathToFileURL(file).href, path: `/job/${name}` };
  });
  return {
    ...(job.name ? { name: job.name } : {}),
    ...(inputs.length ? { inputs } : {}),
    ...(job.outDir ? { outputs: [{ path: '/job', url: pathToFileURL(job.outDir).href, type: 'DIRECTORY' as const }] } : {}),
    executors: [{ image: GUEST_IMAGE, command: [...job.command], workdir: '/job' }],
    ...(job.cores !== undefined || job.memoryMiB !== undefined || job.vo !== undefined
      ? {
          resources: {
            ...(job.cores !== undefined ? { cpu_cores: job.cores } : {}),
            ...(job.memoryMiB !== undefined ? { ram_gb: job.memoryMiB / 1024 } : {}),
            ...(job.vo !== undefined ? { backend_parameters: { vo: job.vo } } : {}),
          },
        }
      : {}),
  };
}

const size = z.union([z.number().int().positive(), z.string().regex(/^\d+(\.\d+)?\s*[KMGT]?(i?B)?$/i, 'a size like 512M or 2G')]);
const JobFields = z
  .object({
    name: z.string().min(1).max(256),
    command: z.array(z.string()).min(1, 'needs at least the program to run'),
    in: z.array(z.string().min(1)),
    out: z.string().min(1),
    cores: z.number().int().min(1).max(256),
    mem: size,
    vo: z.string().min(1).max(128),
  })
  .strict();
const BatchFile = z.union([
  z.object({ version: z.literal(1), defaults: JobFields.partial().omit({ command: true, name: true }).optional(), jobs: z.array(JobFields.partial({ name: true, in: true, out: true, cores: true, mem: true, vo: true })).min(1).max(1000) }).strict(),
  z.object({ version: z.literal(1), tasks: z.array(TesTaskRequest).min(1).max(1000) }).strict(),
]);

const toMiB = (v: number | string): number => {
  if (typeof v === 'number') return v;
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)/i.exec(v)!;
  const n = Number(m[1]);
  const u = m[2]!.toUpperCase();
  return Math.ceil(u === 'K' ? n / 1024 : u === 'G' ? n * 1024 : u === 'T' ? n * 1024 * 1024 : n);
};

/** Reads and checks a batch file; errors name the field (jobs.3.command). */
export function readBatchFile(path: string): TesTaskRequest[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new BatchFileError(`${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, '');
  }
  const parsed = BatchFile.safeParse(raw);
  if (!parsed.success) {
    // A union reports both branches; name the branch the file meant.
    const branch = raw && typeof raw === 'object' && 'tasks' in raw ? BatchFile.options[1] : BatchFile.options[0];
    const again = branch.safeParse(raw);
    const { message, field } = describeIssue(again.success ? parsed.error : again.error);
    throw new BatchFileError(`${path}: ${message}`, field);
  }
  const spec = parsed.data;
  if ('tasks' in spec) return spec.tasks;
  const base = dirname(resolve(path));
  const d = spec.defaults ?? {};
  return spec.jobs.map((job, index) => {
    const name = job.name ?? `${basename(path).replace(/\.json$/, '')}-${index}`;
    const out = job.out ?? d.out;
    const mem = job.mem ?? d.mem;
    const cores = job.cores ?? d.cores;
    const vo = job.vo ?? d.vo;
    try {
      return buildTask({
        name,
        command: job.command,
        inputs: [...(d.in ?? []), ...(job.in ?? [])].map((f) => resolve(base, f)),
        outDir: out === undefined ? null : resolve(base, out.replaceAll('{name}', name).replaceAll('{index}', String(index))),
        ...(cores !== undefined ? { cores } : {}),
        ...(mem !== undefined ? { memoryMiB: toMiB(mem) } : {}),
        ...(vo !== undefined ? { vo } : {}),
      });
    } catch (err) {
      if (err instanceof BatchFileError) throw new BatchFileError(`${path}: jobs.${index}.${err.field}: ${err.message}`, `jobs.${index}.${err.field}`);
      throw err;
    }
  });
}
