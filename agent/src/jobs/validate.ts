import { isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TesTaskRequest } from '../../../contract/index.ts';
import { HttpError } from '../api/errors.ts';
import type { RunOutput, RunResources, RunStep } from './executor.ts';

/**
 * Whether a TES task fits our guests, and what it becomes: every path maps under the guest's /job,
 * every file URL is a file on this host outside the agent's data dir, the image is one of ours.
 * Errors name the field the way describeIssue does (executors.0.image), so both doors read alike.
 */

export const GUEST_IMAGE = 'phantom-guest';
/** The guest agent's limit on one relative path. */
const MAX_REL_PATH = 255;
/** Keys of resources.backend_parameters we understand (TES says keys are case-insensitive). */
export const BACKEND_PARAMETERS = ['vo'] as const;

export const DEFAULT_RESOURCES = { cores: 1, memoryMiB: 256, diskMiB: 1024 } as const;

export interface PlanContext {
  /** Guest image versions the executor can boot, newest first. */
  readonly images: readonly string[];
  /** The agent's data dir: jobs may neither read nor write inside it (token, identity key). */
  readonly dataDir: string;
}

export type InputSource = { readonly kind: 'content'; readonly content: string } | { readonly kind: 'file'; readonly file: string; readonly directory: boolean };

export interface PlannedInput {
  readonly field: string;
  readonly path: string;
  readonly source: InputSource;
}

export interface TaskPlan {
  /** The task as stored and shown: unsupported backend parameters removed, as TES asks. */
  readonly task: TesTaskRequest;
  readonly imageVersion: string | null;
  readonly steps: RunStep[];
  readonly inputs: PlannedInput[];
  readonly outputs: (RunOutput & { url: string; dest: string })[];
  readonly volumes: string[];
  readonly resources: RunResources;
  /** Lines for the task's system logs (e.g. ignored parameters). */
  readonly notes: string[];
}

const bad = (field: string, message: string): HttpError => new HttpError(400, 'bad_request', `${field}: ${message}`, field);

/** /job/a/b → a/b; /job → ''. Anything outside /job, relative, or with . and .. segments is refused. */
export function guestPath(path: string, field: string, opts: { allowRoot?: boolean } = {}): string {
  if (!path.startsWith('/')) throw bad(field, `"${path}" must be an absolute path under /job`);
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
  if (trimmed === '/job') {
    if (opts.allowRoot) return '';
    throw bad(field, 'must name a file under /job, not /job itself');
  }
  if (!trimmed.startsWith('/job/')) throw bad(field, `"${path}" is outside /job: a guest job sees only /job`);
  const rel = trimmed.slice(5);
  const segments = rel.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) throw bad(field, `"${path}" must not contain empty, . or .. segments`);
  if (rel.includes('\0')) throw bad(field, 'must not contain NUL');
  if (Buffer.byteLength(rel) > MAX_REL_PATH) throw bad(field, `"${path}" is longer than ${MAX_REL_PATH} bytes below /job`);
  return rel;
}

/** A file URL (or plain absolute path, which TES also allows for inputs) → an absolute host path. */
export function hostPath(url: string, field: string, dataDir: string, allowPlainPath: boolean): string {
  let file: string;
  if (url.startsWith('file:')) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw bad(field, `"${url}" is not a valid file URL`);
    }
    if (parsed.hostname !== '' && parsed.hostname !== 'localhost') {
      throw bad(field, `file URL names host "${parsed.hostname}"; only files on this host (file:///path) are supported`);
    }
    try {
      file = fileURLToPath(parsed);
    } catch (err) {
      throw bad(field, `"${url}": ${(err as Error).message}`);
    }
  } else if (allowPlainPath && url.startsWith('/')) {
    file = url;
  } else {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
    throw bad(field, scheme ? `${scheme}: URLs are not supported; use a file:// URL on this host` : `"${url}" is not a file:// URL`);
  }
  file = resolve(file);
  const rel = relative(resolve(dataDir), file);
  if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) throw bad(field, "the agent's data dir is off limits to jobs");
  return file;
}

function image(name: string, field: string, images: readonly string[]): string | null {
  const [repo, tag, ...rest] = name.split(':');
  const available = images.length ? `available: ${GUEST_IMAGE} (= ${GUEST_IMAGE}:${images[0]})${images.slice(1).map((v) => `, ${GUEST_IMAGE}:${v}`).join('')}` : 'no guest image is built on this node';
  if (repo !== GUEST_IMAGE || rest.length > 0) {
    throw bad(field, `"${name}" is not a Phantom Grid guest image: jobs run in our VM guest, not in containers; use "${GUEST_IMAGE}" (${available})`);
  }
  if (images.length === 0) throw bad(field, `${available}; build one with \`node guest/build-image.ts\``);
  if (tag === undefined || tag === 'latest') return null;
  if (!images.includes(tag)) throw bad(field, `guest image version "${tag}" is not available (${available})`);
  return tag;
}

export function planTask(task: TesTaskRequest, ctx: PlanContext): TaskPlan {
  const notes: string[] = [];

  const inputs: PlannedInput[] = (task.inputs ?? []).map((input, i) => {
    const field = `inputs.${i}`;
    const directory = input.type === 'DIRECTORY';
    const path = guestPath(input.path, `${field}.path`);
    if (input.content !== undefined && input.content !== '') {
      if (directory) throw bad(`${field}.type`, 'an input with inline content is a FILE, not a DIRECTORY');
      return { field, path, source: { kind: 'content', content: input.content } };
    }
    return { field, path, source: { kind: 'file', file: hostPath(input.url!, `${field}.url`, ctx.dataDir, true), directory } };
  });
  const seen = new Map<string, string>();
  for (const input of inputs) {
    const clash = [...seen].find(([p]) => p === input.path || p.startsWith(`${input.path}/`) || input.path.startsWith(`${p}/`));
    if (clash) throw bad(`${input.field}.path`, `overlaps ${clash[1]}.path`);
    seen.set(input.path, input.field);
  }

  const outputs = (task.outputs ?? []).map((output, i) => {
    const field = `outputs.${i}`;
    if (/[*?[]/.test(output.path)) throw bad(`${field}.path`, 'wildcards are not supported; name the file or use type DIRECTORY');
    const kind = output.type === 'DIRECTORY' ? 'DIRECTORY' : 'FILE';
    const path = guestPath(output.path, `${field}.path`, { allowRoot: kind === 'DIRECTORY' });
    const dest = hostPath(output.url, `${field}.url`, ctx.dataDir, false);
    return { path, kind, url: output.url, dest } as const;
  });

  let imageVersion: string | null = null;
  const steps: RunStep[] = task.executors.map((ex, i) => {
    const field = `executors.${i}`;
    const version = image(ex.image, `${field}.image`, ctx.images);
    if (i === 0) imageVersion = version;
    else if (version !== imageVersion) throw bad(`${field}.image`, 'every executor of a task runs in the same guest, so they must name the same image version');
    const stdin = ex.stdin === undefined ? null : guestPath(ex.stdin, `${field}.stdin`);
    if (stdin !== null && !inputs.some((input) => input.path === stdin && !(input.source.kind === 'file' && input.source.directory))) {
      throw bad(`${field}.stdin`, `"${ex.stdin}" is not one of the task's input files`);
    }
    for (const key of Object.keys(ex.env ?? {})) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw bad(`${field}.env.${key}`, 'environment variable names are letters, digits and _, not starting with a digit');
    }
    if (ex.command.some((a) => a.includes('\0'))) throw bad(`${field}.command`, 'arguments must not contain NUL');
    return {
      argv: ex.command,
      cwd: ex.workdir === undefined ? '' : guestPath(ex.workdir, `${field}.workdir`, { allowRoot: true }),
      env: ex.env ?? {},
      stdin,
      stdoutPath: ex.stdout === undefined ? null : guestPath(ex.stdout, `${field}.stdout`),
      stderrPath: ex.stderr === undefined ? null : guestPath(ex.stderr, `${field}.stderr`),
      ignoreError: ex.ignore_error ?? false,
    };
  });

  const volumes = (task.volumes ?? []).map((v, i) => guestPath(v, `volumes.${i}`));

  let vo: string | null = null;
  let resources = task.resources;
  if (resources?.backend_parameters) {
    const kept: Record<string, string> = {};
    for (const [key, value] of Object.entries(resources.backend_parameters)) {
      if ((BACKEND_PARAMETERS as readonly string[]).includes(key.toLowerCase())) {
        kept[key] = value;
        if (key.toLowerCase() === 'vo') vo = value;
      } else if (resources.backend_parameters_strict) {
        throw bad(`resources.backend_parameters.${key}`, `unsupported backend parameter (supported: ${BACKEND_PARAMETERS.join(', ')})`);
      } else {
        notes.push(`backend parameter "${key}" is not supported and was ignored`);
      }
    }
    resources = { ...resources, backend_parameters: kept };
  }

  return {
    task: resources ? { ...task, resources } : task,
    imageVersion,
    steps,
    inputs,
    outputs,
    volumes,
    resources: {
      cores: resources?.cpu_cores ?? DEFAULT_RESOURCES.cores,
      memoryMiB: resources?.ram_gb !== undefined ? Math.ceil(resources.ram_gb * 1024) : DEFAULT_RESOURCES.memoryMiB,
      diskMiB: resources?.disk_gb !== undefined ? Math.ceil(resources.disk_gb * 1024) : DEFAULT_RESOURCES.diskMiB,
      preemptible: resources?.preemptible ?? true,
      vo,
    },
    notes,
  };
}
