// Every overlay wire message: one zod schema each, a version on every message, and one entry point
// (`parseMessage`) that every received message goes through, on the real network and in the simulator.
import { z } from 'zod';

export const WIRE_VERSION = 1;
/** Largest encoded message accepted; shards of a large sub-grid state stay far below it. */
export const MAX_MESSAGE_BYTES = 1 << 20;

const Id = z.string().min(1).max(200);
export const NodeRefSchema = z.object({ id: Id, addr: z.string().min(1).max(600) });
const GroupId = z.string().min(1).max(240);
const Term = z.number().int().nonnegative();
const Score = z.number().min(0).max(1);
const Bytes64 = z.string().max(MAX_MESSAGE_BYTES).regex(/^[A-Za-z0-9+/]*={0,2}$/);
const Count = z.number().int().nonnegative().max(1_000_000);

/** What discovery matches on: a node's offer (sizes in MiB, FLOPS, Mbit/s). */
export const NodeResources = z.object({
  cores: z.number().int().positive().max(4096),
  memoryMiB: z.number().int().nonnegative(),
  flops: z.number().nonnegative(),
  diskMiB: z.number().int().nonnegative(),
  bandwidthMbps: z.number().nonnegative(),
});
export type NodeResources = z.infer<typeof NodeResources>;

const Vos = z.array(z.string().min(1).max(100)).max(64);

/** A sub-grid as its region peer sees it: per-dimension maxima filter queries, totals are the theoretical peak. */
export const Aggregate = z.object({
  nodes: Count,
  maxCores: Count,
  maxMemoryMiB: Count,
  maxFlops: z.number().nonnegative(),
  maxDiskMiB: Count,
  maxBandwidthMbps: z.number().nonnegative(),
  totalCores: Count,
  totalFlops: z.number().nonnegative(),
  vos: Vos,
});
export type Aggregate = z.infer<typeof Aggregate>;

export const MemberInfo = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('node'), res: NodeResources, vos: Vos }),
  z.object({ kind: z.literal('subgrid'), subgrid: GroupId, agg: Aggregate }),
]);
export type MemberInfo = z.infer<typeof MemberInfo>;

export const QuerySpec = z.object({
  cores: z.number().int().nonnegative().optional(),
  memoryMiB: z.number().int().nonnegative().optional(),
  flops: z.number().nonnegative().optional(),
  diskMiB: z.number().int().nonnegative().optional(),
  minBandwidthMbps: z.number().nonnegative().optional(),
  vo: z.string().min(1).max(100).optional(),
});
export type QuerySpec = z.infer<typeof QuerySpec>;

export const ShardMeta = z.object({
  version: Count,
  k: z.number().int().min(1).max(24),
  m: z.number().int().min(0).max(6),
  length: Count,
  hash: z.string().max(64),
  holders: z.array(NodeRefSchema.extend({ score: Score })).max(30),
  watchers: z.array(Id).max(4),
});
export type ShardMeta = z.infer<typeof ShardMeta>;
const Shard = z.object({ meta: ShardMeta, index: z.number().int().nonnegative().max(29), data: Bytes64 });

const msg = <T extends string, S extends z.ZodRawShape>(t: T, shape: S) =>
  z.object({ v: z.literal(WIRE_VERSION), t: z.literal(t), ...shape }).strict();

const Stage = z.enum(['local', 'region', 'subgrid', 'remote']);

export const WireMessage = z.discriminatedUnion('t', [
  msg('ping', { nonce: Count }),
  msg('pong', { nonce: Count }),
  msg('solicit', { grid: Id }),
  msg('announce', { grid: Id, group: GroupId, term: Term, leader: NodeRefSchema, score: Score, region: Id }),
  msg('join', { group: GroupId, invite: z.string().max(4096), info: MemberInfo, score: Score }),
  msg('join_ack', { group: GroupId, term: Term, leader: NodeRefSchema }),
  msg('join_refused', { group: GroupId, reason: z.string().max(500) }),
  msg('refresh', { group: GroupId, term: Term, info: MemberInfo, score: Score }),
  msg('refresh_ack', { group: GroupId, term: Term }),
  msg('not_member', { group: GroupId, term: Term, leader: NodeRefSchema.nullable() }),
  msg('leave', { group: GroupId }),
  msg('hb', { group: GroupId, term: Term, committed: Count, watchers: z.array(Id).max(4) }),
  msg('election', { group: GroupId, term: Term }),
  msg('alive', { group: GroupId, term: Term, leader: z.boolean(), watchers: z.array(Id).max(4) }),
  msg('coordinator', { group: GroupId, term: Term, leader: NodeRefSchema, score: Score }),
  msg('claim', { group: GroupId, term: Term, leader: NodeRefSchema, score: Score }),
  msg('stale', { group: GroupId, term: Term, leader: NodeRefSchema, score: Score }),
  msg('shard_store', { group: GroupId, term: Term, committed: Count, shard: Shard }),
  msg('store_ack', { group: GroupId, term: Term, version: Count }),
  msg('shard_req', { group: GroupId, term: Term }),
  msg('shard_resp', { group: GroupId, term: Term, shards: z.array(Shard).max(8) }),
  msg('handover', { group: GroupId, term: Term, version: Count, state: Bytes64 }),
  msg('merge', { group: GroupId, term: Term, state: Bytes64 }),
  msg('merge_ack', { group: GroupId }),
  msg('rehome', { group: GroupId, newGroup: GroupId, term: Term, leader: NodeRefSchema }),
  msg('put', { group: GroupId, key: z.string().min(1).max(300), value: z.json(), wid: Id }),
  msg('put_ack', { group: GroupId, wid: Id, version: Count }),
  msg('put_redirect', { group: GroupId, wid: Id, leader: NodeRefSchema.nullable() }),
  msg('query', {
    qid: Id, origin: NodeRefSchema, spec: QuerySpec, count: z.number().int().min(1).max(1000),
    need: z.number().int().min(1).max(1000), stage: Stage, replyTo: NodeRefSchema.nullable(),
    visited: z.array(GroupId).max(1000),
  }),
  msg('query_hit', { qid: Id, group: GroupId, matches: z.array(z.object({ node: NodeRefSchema, res: NodeResources, vos: Vos })).max(1000) }),
  msg('query_done', { qid: Id, group: GroupId, found: Count }),
]);
export type WireMessage = z.infer<typeof WireMessage>;
export type JsonValue = z.infer<ReturnType<typeof z.json>>;
export type MessageType = WireMessage['t'];
export type Msg<T extends MessageType> = Extract<WireMessage, { t: T }>;
/** What a sender writes: the version is added by `make`. */
export type Outgoing<T extends MessageType> = Omit<Msg<T>, 'v' | 't'>;

export function make<T extends MessageType>(t: T, body: Outgoing<T>): Msg<T> {
  return { v: WIRE_VERSION, t, ...body } as unknown as Msg<T>;
}

export type RejectReason = 'not-an-object' | 'unknown-version' | 'unknown-type' | 'malformed' | 'oversized' | 'not-json';

export type ParseResult = { ok: true; msg: WireMessage } | { ok: false; reason: RejectReason; detail: string };

const knownTypes = new Set<string>(WireMessage.options.map((o) => o.shape.t.value));

/** Validates a decoded message; never throws. The reason names what was wrong (version, type or field). */
export function parseMessage(raw: unknown): ParseResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, reason: 'not-an-object', detail: typeof raw };
  const r = raw as Record<string, unknown>;
  if (r.v !== WIRE_VERSION) return { ok: false, reason: 'unknown-version', detail: `v=${String(r.v)}` };
  if (typeof r.t !== 'string' || !knownTypes.has(r.t)) return { ok: false, reason: 'unknown-type', detail: `t=${String(r.t).slice(0, 40)}` };
  const res = WireMessage.safeParse(raw);
  if (!res.success) {
    const issue = res.error.issues[0];
    return { ok: false, reason: 'malformed', detail: `${r.t}: ${issue ? `${issue.path.join('.') || '(message)'}: ${issue.message}` : 'invalid'}` };
  }
  return { ok: true, msg: res.data };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** The byte codec used on the real network: UTF-8 JSON, at most MAX_MESSAGE_BYTES. */
export function encodeMessage(m: WireMessage): Uint8Array {
  const bytes = encoder.encode(JSON.stringify(m));
  if (bytes.length > MAX_MESSAGE_BYTES) throw new Error(`message ${m.t} is ${bytes.length} bytes, over ${MAX_MESSAGE_BYTES}`);
  return bytes;
}

export function decodeMessage(bytes: Uint8Array, maxBytes = MAX_MESSAGE_BYTES): ParseResult {
  if (bytes.length > maxBytes) return { ok: false, reason: 'oversized', detail: `${bytes.length} > ${maxBytes} bytes` };
  let raw: unknown;
  try {
    raw = JSON.parse(decoder.decode(bytes));
  } catch (err) {
    return { ok: false, reason: 'not-json', detail: (err as Error).message.slice(0, 120) };
  }
  return parseMessage(raw);
}
