// Wire messages at the boundary: version, type and every field validated; bad input is counted,
// logged and dropped, and the node keeps working.
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, make, MAX_MESSAGE_BYTES, parseMessage } from '../../agent/src/core/messages.ts';
import { bootAll, createTestGrid } from './harness.ts';

const enc = new TextEncoder();

describe('wire codec', () => {
  it('round-trips a valid message through bytes', () => {
    const m = make('query', { qid: 'a:q1#1', origin: { id: 'a', addr: '/ip4/127.0.0.1/tcp/1' }, spec: { cores: 4, vo: 'vo-a' }, count: 1, need: 1, stage: 'local', replyTo: null, visited: [] });
    const r = decodeMessage(encodeMessage(m));
    expect(r).toEqual({ ok: true, msg: m });
  });

  it.each([
    ['unknown version', { v: 2, t: 'ping', nonce: 1 }, 'unknown-version'],
    ['missing version', { t: 'ping', nonce: 1 }, 'unknown-version'],
    ['unknown type', { v: 1, t: 'teleport', nonce: 1 }, 'unknown-type'],
    ['wrong field type', { v: 1, t: 'ping', nonce: 'one' }, 'malformed'],
    ['extra field', { v: 1, t: 'ping', nonce: 1, evil: true }, 'malformed'],
    ['negative term', { v: 1, t: 'hb', group: 'sg:x', term: -1, committed: 0 }, 'malformed'],
    ['bad base64 shard', { v: 1, t: 'merge', group: 'sg:x', term: 1, state: '<script>' }, 'malformed'],
    ['not an object', [1, 2, 3], 'not-an-object'],
  ])('rejects %s', (_name, raw, reason) => {
    const r = parseMessage(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toBe(reason);
  });

  it('names the field that is wrong', () => {
    const r = parseMessage({ v: 1, t: 'join', group: 'sg:x', invite: 'i', score: 2, info: { kind: 'node', res: { cores: 1, memoryMiB: 1, flops: 1, diskMiB: 1, bandwidthMbps: 1 }, vos: [] } });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.detail).toMatch(/^join: score:/);
  });

  it('refuses oversized frames and non-JSON before parsing', () => {
    const big = enc.encode(JSON.stringify({ v: 1, t: 'ping', nonce: 1, pad: 'x'.repeat(MAX_MESSAGE_BYTES) }));
    expect(decodeMessage(big)).toMatchObject({ ok: false, reason: 'oversized' });
    expect(decodeMessage(enc.encode('{"v":1,'))).toMatchObject({ ok: false, reason: 'not-json' });
    expect(decodeMessage(new Uint8Array([0xff, 0xfe]))).toMatchObject({ ok: false, reason: 'not-json' });
  });

  it('a node counts and logs bad messages and keeps serving', async () => {
    const g = createTestGrid([{ id: 'a', site: 0, region: 0 }, { id: 'b', site: 0, region: 0 }]);
    await bootAll(g, ['a', 'b']);
    const a = g.node('a');
    const from = { id: 'mallory', addr: 'sim:mallory' };
    a.receive(from, { v: 9, t: 'ping', nonce: 1 });
    a.receive(from, { v: 1, t: 'coordinator', group: 'sg:x', term: 'high' });
    a.receive(from, 'garbage');
    expect(a.stats.rejected).toBe(3);
    expect(a.stats.rejectedBy).toEqual({ 'unknown-version': 1, malformed: 1, 'not-an-object': 1 });
    // Still a working member: a query from b is answered with a.
    const r = await g.query('b', { vo: 'vo-a' });
    expect(r.hits.map((h) => h.node.id)).toEqual(['a']);
  });
});
