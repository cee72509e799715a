// The state a leader (super-peer or region peer) keeps and mirrors onto its members:
// the members with their descriptions, and a key/value table (job table with leases under "job/",
// the VO list under "vo/"). Serialized canonically, so equal states have equal bytes and hashes.
import { z } from 'zod';
import { canonicalJson, fingerprint } from './bytes.ts';
import { MemberInfo } from './messages.ts';

export const MemberRecord = z.object({ addr: z.string(), score: z.number(), info: MemberInfo });
export type MemberRecord = z.infer<typeof MemberRecord>;

export const GroupState = z.object({
  format: z.literal(1),
  group: z.string(),
  version: z.number().int().nonnegative(),
  members: z.record(z.string(), MemberRecord),
  kv: z.record(z.string(), z.json()),
});
export type GroupState = z.infer<typeof GroupState>;

export function emptyState(group: string): GroupState {
  return { format: 1, group, version: 0, members: {}, kv: {} };
}

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

export function serializeState(s: GroupState): Uint8Array {
  return enc.encode(canonicalJson(s));
}

export function stateHash(s: GroupState): string {
  return fingerprint(serializeState(s));
}

/** Throws with the field named when the bytes are not a state (a corrupt shard set, a bad merge). */
export function parseState(bytes: Uint8Array): GroupState {
  return GroupState.parse(JSON.parse(dec.decode(bytes)));
}

/**
 * Union of two states after a split heals or two sub-grids meet: keys only one side has are kept,
 * for keys both have the winner's value stands. Nothing acknowledged on either side is dropped.
 */
export function mergeInto(winner: GroupState, loser: GroupState): GroupState {
  return {
    ...winner,
    members: { ...loser.members, ...winner.members },
    kv: { ...loser.kv, ...winner.kv },
  };
}

/** Most shard holders per state: beyond this, more copies cost messages without adding much. */
export const MAX_HOLDERS = 10;

/**
 * Reed–Solomon parameters for n available members: all of them (up to MAX_HOLDERS) hold one shard;
 * about a third of the shards are parity, so a state survives the loss of any m holders.
 */
export function chooseCode(available: number): { k: number; m: number } | null {
  const n = Math.min(available, MAX_HOLDERS);
  if (n <= 0) return null;
  const m = n === 1 ? 0 : n <= 3 ? 1 : Math.min(6, Math.ceil(n / 3));
  return { k: n - m, m };
}
