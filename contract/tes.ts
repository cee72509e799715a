import { z } from 'zod';

/**
 * GA4GH Task Execution Service 1.1 documents (ga4gh-tes-1.1.0.openapi.yaml), as zod schemas.
 * Request schemas carry our size limits so an oversized field is refused with its name before
 * anything is created; whether a task fits our guests (paths under /job, our image) is judged
 * by the agent (agent/src/jobs/validate.ts), which knows the images it can run.
 */
export const TES_PREFIX = '/ga4gh/tes/v1';
export const TES_VERSION = '1.1.0';

/** Limits of one task document. TES asks for at least 128 KiB of inline content per input. */
export const TesLimits = {
  nameChars: 256,
  descriptionChars: 16 * 1024,
  urlChars: 4096,
  pathChars: 260,
  contentBytes: 512 * 1024,
  inputs: 256,
  /** The guest agent returns at most 64 output files per job. */
  outputs: 64,
  executors: 16,
  /** The guest agent takes at most 256 argv entries. */
  args: 256,
  argChars: 64 * 1024,
  envEntries: 256,
  envChars: 64 * 1024,
  volumes: 64,
  tags: 64,
  tagChars: 4096,
  cpuCores: 256,
  ramGb: 1024,
  diskGb: 16 * 1024,
  pageSizeMax: 2047,
  pageSizeDefault: 256,
} as const;

const utf8Bytes = (s: string): number => {
  // contract/ has no Buffer or TextEncoder guarantee in every runtime's types: count by hand.
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
};

const str = (max: number) => z.string().max(max, `at most ${max} characters`);
const stringMap = (entries: number, chars: number) =>
  z
    .record(z.string().max(256, 'keys: at most 256 characters'), str(chars))
    .refine((m) => Object.keys(m).length <= entries, `at most ${entries} entries`);

export const TesState = z.enum([
  'UNKNOWN',
  'QUEUED',
  'INITIALIZING',
  'RUNNING',
  'PAUSED',
  'COMPLETE',
  'EXECUTOR_ERROR',
  'SYSTEM_ERROR',
  'CANCELED',
  'PREEMPTED',
  'CANCELING',
]);
export type TesState = z.infer<typeof TesState>;

export const TesFileType = z.enum(['FILE', 'DIRECTORY']);
export type TesFileType = z.infer<typeof TesFileType>;

const TesInputFields = z.object({
  name: str(TesLimits.nameChars).optional(),
  description: str(TesLimits.descriptionChars).optional(),
  url: str(TesLimits.urlChars).optional(),
  path: str(TesLimits.pathChars),
  type: TesFileType.optional(),
  content: z
    .string()
    .refine((s) => utf8Bytes(s) <= TesLimits.contentBytes, `at most ${TesLimits.contentBytes} bytes of inline content`)
    .optional(),
  streamable: z.boolean().optional(),
});
export const TesInput = TesInputFields.refine((i) => i.url !== undefined || (i.content !== undefined && i.content !== ''), {
    message: 'an input needs a url or non-empty content',
    path: ['url'],
  });
export type TesInput = z.infer<typeof TesInput>;

export const TesOutput = z.object({
  name: str(TesLimits.nameChars).optional(),
  description: str(TesLimits.descriptionChars).optional(),
  url: str(TesLimits.urlChars),
  path: str(TesLimits.pathChars),
  path_prefix: str(TesLimits.pathChars).optional(),
  type: TesFileType.optional(),
});
export type TesOutput = z.infer<typeof TesOutput>;

export const TesResources = z.object({
  cpu_cores: z.number().int().min(1).max(TesLimits.cpuCores).optional(),
  preemptible: z.boolean().optional(),
  ram_gb: z.number().positive().max(TesLimits.ramGb).optional(),
  disk_gb: z.number().positive().max(TesLimits.diskGb).optional(),
  zones: z.array(str(256)).max(64).optional(),
  backend_parameters: stringMap(64, 1024).optional(),
  backend_parameters_strict: z.boolean().optional(),
});
export type TesResources = z.infer<typeof TesResources>;

export const TesExecutor = z.object({
  image: str(256),
  command: z.array(str(TesLimits.argChars)).min(1, 'needs at least the program to run').max(TesLimits.args, `at most ${TesLimits.args} arguments`),
  workdir: str(TesLimits.pathChars).optional(),
  stdin: str(TesLimits.pathChars).optional(),
  stdout: str(TesLimits.pathChars).optional(),
  stderr: str(TesLimits.pathChars).optional(),
  env: stringMap(TesLimits.envEntries, TesLimits.envChars).optional(),
  ignore_error: z.boolean().optional(),
});
export type TesExecutor = z.infer<typeof TesExecutor>;

/**
 * A task document as a client sends it (CreateTask). Read-only fields a client may echo back
 * (id, state, logs, creation_time) are accepted and ignored, as the spec marks them readOnly.
 */
export const TesTaskRequest = z.object({
  name: str(TesLimits.nameChars).optional(),
  description: str(TesLimits.descriptionChars).optional(),
  inputs: z.array(TesInput).max(TesLimits.inputs, `at most ${TesLimits.inputs} inputs`).optional(),
  outputs: z.array(TesOutput).max(TesLimits.outputs, `at most ${TesLimits.outputs} outputs`).optional(),
  resources: TesResources.optional(),
  executors: z.array(TesExecutor).min(1, 'a task needs at least one executor').max(TesLimits.executors, `at most ${TesLimits.executors} executors`),
  volumes: z.array(str(TesLimits.pathChars)).max(TesLimits.volumes, `at most ${TesLimits.volumes} volumes`).optional(),
  tags: stringMap(TesLimits.tags, TesLimits.tagChars).optional(),
});
export type TesTaskRequest = z.infer<typeof TesTaskRequest>;

export const TesExecutorLog = z.object({
  start_time: z.string().optional(),
  end_time: z.string().optional(),
  stdout: z.string().optional(),
  stderr: z.string().optional(),
  exit_code: z.number().int(),
});
export type TesExecutorLog = z.infer<typeof TesExecutorLog>;

export const TesOutputFileLog = z.object({
  url: z.string(),
  path: z.string(),
  /** A string because JSON numbers cannot carry every int64. */
  size_bytes: z.string().regex(/^\d+$/),
});
export type TesOutputFileLog = z.infer<typeof TesOutputFileLog>;

export const TesTaskLog = z.object({
  logs: z.array(TesExecutorLog),
  metadata: z.record(z.string(), z.string()).optional(),
  start_time: z.string().optional(),
  end_time: z.string().optional(),
  outputs: z.array(TesOutputFileLog),
  system_logs: z.array(z.string()).optional(),
});
export type TesTaskLog = z.infer<typeof TesTaskLog>;

/** A task as the server returns it; which fields appear depends on the view. */
export const TesTask = z.object({
  id: z.string(),
  state: TesState,
  name: z.string().optional(),
  description: z.string().optional(),
  inputs: z.array(TesInputFields.extend({ content: z.string().optional() })).optional(),
  outputs: z.array(TesOutput).optional(),
  resources: TesResources.optional(),
  executors: z.array(TesExecutor).optional(),
  volumes: z.array(z.string()).optional(),
  tags: z.record(z.string(), z.string()).optional(),
  logs: z.array(TesTaskLog).optional(),
  creation_time: z.string().optional(),
});
export type TesTask = z.infer<typeof TesTask>;

export const TesView = z.enum(['MINIMAL', 'BASIC', 'FULL']);
export type TesView = z.infer<typeof TesView>;

export const TesListTasksResponse = z.object({ tasks: z.array(TesTask), next_page_token: z.string().optional() });
export type TesListTasksResponse = z.infer<typeof TesListTasksResponse>;

export const TesCreateTaskResponse = z.object({ id: z.string() });
export const TesCancelTaskResponse = z.object({});

export const TesServiceInfo = z.object({
  id: z.string(),
  name: z.string(),
  type: z.object({ group: z.string(), artifact: z.literal('tes'), version: z.string() }),
  description: z.string().optional(),
  organization: z.object({ name: z.string(), url: z.string() }),
  contactUrl: z.string().optional(),
  documentationUrl: z.string().optional(),
  createdAt: z.string().optional(),
  updatedAt: z.string().optional(),
  environment: z.string().optional(),
  version: z.string(),
  storage: z.array(z.string()).optional(),
  tesResources_backend_parameters: z.array(z.string()).optional(),
});
export type TesServiceInfo = z.infer<typeof TesServiceInfo>;
