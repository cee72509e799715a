// Invites: what lets a node into a grid. Signed by the grid key, they expire, and they name the grid
// and the virtual organisations the node may serve. Format: "phantom1." + base64(JSON body) + "." + signature.
import { z } from 'zod';
import type { SignatureScheme } from './ports.ts';
import { fromBase64, toBase64 } from './bytes.ts';

export const INVITE_PREFIX = 'phantom1';

export const InviteBody = z.object({
  v: z.literal(1),
  grid: z.string().min(1).max(100),
  /** The grid's public key, so a node can check its invite before it meets anyone. */
  gridKey: z.string().min(1).max(200),
  vos: z.array(z.string().min(1).max(100)).min(1).max(64),
  /** Empty: any node; else only this node id. */
  node: z.string().max(200),
  issuedAt: z.number().int().nonnegative(),
  expiresAt: z.number().int().positive(),
  nonce: z.string().min(1).max(64),
});
export type InviteBody = z.infer<typeof InviteBody>;

export type InviteCheck = { ok: true; invite: InviteBody } | { ok: false; reason: string };

const enc = new TextEncoder();

export function issueInvite(body: Omit<InviteBody, 'v'>, privateKey: string, sig: SignatureScheme): string {
  const full: InviteBody = InviteBody.parse({ v: 1, ...body });
  const payload = enc.encode(JSON.stringify(full));
  return `${INVITE_PREFIX}.${toBase64(payload)}.${sig.sign(payload, privateKey)}`;
}

/**
 * Checks an invite for `expect.grid`, signed by `expect.gridKey`, valid at `now`, for `nodeId`.
 * Every refusal says why.
 */
export function verifyInvite(invite: string, expect: { grid: string; gridKey: string; now: number; nodeId: string }, sig: SignatureScheme): InviteCheck {
  const parts = invite.split('.');
  if (parts.length !== 3 || parts[0] !== INVITE_PREFIX) return { ok: false, reason: 'invite: not a phantom invite (expected phantom1.<body>.<signature>)' };
  let payload: Uint8Array;
  let raw: unknown;
  try {
    payload = fromBase64(parts[1]!);
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch {
    return { ok: false, reason: 'invite: body is not base64 JSON' };
  }
  const body = InviteBody.safeParse(raw);
  if (!body.success) {
    const i = body.error.issues[0];
    return { ok: false, reason: `invite: field ${i?.path.join('.') ?? '?'}: ${i?.message ?? 'invalid'}` };
  }
  const b = body.data;
  if (b.grid !== expect.grid) return { ok: false, reason: `invite: for grid ${b.grid}, not ${expect.grid}` };
  if (b.gridKey !== expect.gridKey) return { ok: false, reason: 'invite: names another grid key' };
  let good: boolean;
  try {
    good = sig.verify(payload, parts[2]!, expect.gridKey);
  } catch {
    good = false;
  }
  if (!good) return { ok: false, reason: 'invite: signature does not verify with the grid key (forged or altered)' };
  if (b.expiresAt <= expect.now) return { ok: false, reason: `invite: expired at ${new Date(b.expiresAt).toISOString()}` };
  if (b.issuedAt > expect.now + 5 * 60_000) return { ok: false, reason: 'invite: issued in the future (clock skew over 5 min)' };
  if (b.node !== '' && b.node !== expect.nodeId) return { ok: false, reason: `invite: issued to node ${b.node}, not ${expect.nodeId}` };
  return { ok: true, invite: b };
}
