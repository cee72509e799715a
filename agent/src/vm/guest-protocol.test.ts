import { describe, expect, it } from 'vitest';
import { encodeHello, encodeRun, frame, GuestFrame, GuestFrameDecoder, GuestProtocolError, MAX_PAYLOAD } from './guest-protocol.ts';
import { JobRun } from './job-run.ts';

const json = (type: number, v: unknown) => frame(type, Buffer.from(JSON.stringify(v)));
const out = (stream: 1 | 2, offset: number, data: string) => {
  const h = Buffer.alloc(9);
  h[0] = stream;
  h.writeBigUInt64BE(BigInt(offset), 1);
  return frame(GuestFrame.out, Buffer.concat([h, Buffer.from(data)]));
};
const exitFrame = (stdoutBytes: number, code = 0) =>
  json(GuestFrame.exit, { code, signal: -1, utimeUs: 1, stimeUs: 1, maxRssKb: 1, wallMs: 1, stdoutBytes, stderrBytes: 0 });

describe('guest frame decoder', () => {
  it('decodes frames split at any byte boundary', () => {
    const bytes = Buffer.concat([json(GuestFrame.heartbeat, { seq: 1, uptimeMs: 5, job: false }), out(1, 0, 'hello'), exitFrame(5, 3)]);
    for (let cut = 1; cut < bytes.length; cut += 7) {
      const d = new GuestFrameDecoder();
      const msgs = [...d.push(bytes.subarray(0, cut)).messages, ...d.push(bytes.subarray(cut)).messages];
      expect(msgs.map((m) => m.type)).toEqual(['heartbeat', 'out', 'exit']);
    }
  });

  it.each([
    ['bad magic', Buffer.from('XX\x01\x85\x00\x00\x00\x00'), 'bad_magic', /magic/],
    ['a newer protocol', Buffer.from('PG\x02\x85\x00\x00\x00\x00'), 'bad_version', /version 2.*speaks 1/],
    ['an oversized frame', Buffer.concat([Buffer.from('PG\x01\x82'), Buffer.from([0x7f, 0xff, 0xff, 0xff])]), 'too_long', /exceeds/],
    ['an unknown type', frame(0x99, Buffer.alloc(0)), 'unknown_type', /0x99/],
    ['non-JSON READY', frame(GuestFrame.ready, Buffer.from('{nope')), 'bad_payload', /READY: payload is not JSON/],
    ['a READY with a wrong field', json(GuestFrame.ready, { proto: 1, agent: 'x', nproc: 0, memTotalKb: 1, uptimeMs: 1, job: false, stdoutOffset: 0, stderrOffset: 0 }), 'bad_payload', /READY: nproc/],
    ['an EXIT with an extra field', json(GuestFrame.exit, { code: 0, signal: -1, utimeUs: 1, stimeUs: 1, maxRssKb: 1, wallMs: 1, stdoutBytes: 0, stderrBytes: 0, evil: true }), 'bad_payload', /EXIT/],
    ['an OUT with a bad stream', (() => { const f = out(1, 0, 'x'); f[8] = 7; return f; })(), 'bad_payload', /stream 7/],
    ['a FILE with a path longer than its payload', frame(GuestFrame.file, Buffer.from([0, 0, 0, 1, 0xa4, 0, 200, 0x61])), 'bad_payload', /path length/],
    ['a short PONG', frame(GuestFrame.pong, Buffer.from([1, 2])), 'bad_payload', /PONG/],
  ])('rejects %s with a clear error and keeps the frames before it', (_name, bad, code, msg) => {
    const d = new GuestFrameDecoder();
    const good = json(GuestFrame.heartbeat, { seq: 1, uptimeMs: 5, job: false });
    const r = d.push(Buffer.concat([good, bad, good]));
    expect(r.messages.map((m) => m.type)).toEqual(['heartbeat']);
    expect(r.error).toBeInstanceOf(GuestProtocolError);
    expect(r.error?.code).toBe(code);
    expect(r.error?.message).toMatch(msg);
    // Framing is lost after a bad frame: the decoder refuses everything that follows.
    expect(d.push(good).error).toBe(r.error);
  });

  it('in resync mode skips the tail of a frame a previous QEMU began', () => {
    const whole = out(1, 0, 'abcdefgh');
    const d = new GuestFrameDecoder({ resync: true });
    const r = d.push(Buffer.concat([whole.subarray(11), out(1, 8, 'ij')]));
    expect(r.error).toBeNull();
    expect(r.messages).toMatchObject([{ type: 'out', offset: 8 }]);
    expect(d.skipped).toBe(whole.length - 11);
  });
});

describe('job requests', () => {
  it('encode argv, env, files and outputs, and refuse bad ones by field', () => {
    const f = encodeRun({ argv: ['sh', '-c', 'true'], env: { A: '1' }, files: [{ path: 'a/b', content: Buffer.from('x') }], outputs: ['o'] });
    expect(f.subarray(0, 4)).toEqual(Buffer.from('PG\x01\x02'));
    expect(() => encodeRun({ argv: ['x'], cwd: '/abs' })).toThrow(/cwd/);
    expect(() => encodeRun({ argv: ['x'], outputs: ['a/../../etc'] })).toThrow(/outputs/);
    expect(() => encodeRun({ argv: ['a\0b'] })).toThrow(/argv/);
    expect(() => encodeRun({ argv: ['x'], files: [{ path: 'big', content: new Uint8Array(MAX_PAYLOAD) }] })).toThrow(/at most/);
  });

  it('HELLO carries the offsets to resend from', () => {
    const h = encodeHello({ stdout: 5, stderr: 7 });
    expect(h.readUInt32BE(4)).toBe(16);
    expect(h.readBigUInt64BE(8)).toBe(5n);
    expect(h.readBigUInt64BE(16)).toBe(7n);
  });
});

describe('job output across restores', () => {
  it('drops repeated output by offset and waits for output an EXIT says is missing', async () => {
    const run = new JobRun();
    const d = new GuestFrameDecoder();
    const feed = (b: Buffer) => d.push(b).messages.forEach((m) => run.accept(m));
    feed(out(1, 0, 'abc'));
    feed(out(1, 0, 'abcdef'));
    feed(exitFrame(9));
    expect(run.done).toBe(false);
    expect(run.offsets()).toEqual({ stdout: 6, stderr: 0 });
    feed(out(1, 6, 'ghi'));
    feed(exitFrame(9));
    const r = await run.result;
    expect(r.stdout.toString()).toBe('abcdefghi');
  });

  it('holds output that overtook a re-send until the gap is filled', async () => {
    const run = new JobRun();
    run.accept({ type: 'out', stream: 'stdout', offset: 5, data: Buffer.from('fg') });
    run.accept({ type: 'out', stream: 'stdout', offset: 0, data: Buffer.from('abcde') });
    run.accept({ type: 'exit', exit: { code: 0, signal: null, utimeUs: 0, stimeUs: 0, maxRssKb: 0, wallMs: 0, stdoutBytes: 7, stderrBytes: 0 } });
    expect((await run.result).stdout.toString()).toBe('abcdefg');
  });

  it('fails when the guest says the output it was asked for is gone', async () => {
    const run = new JobRun();
    run.accept({ type: 'out', stream: 'stdout', offset: 5, data: Buffer.from('x') });
    run.accept({ type: 'error', code: 'output_lost', message: 'requested output is older than the retained 1 MiB' });
    await expect(run.result).rejects.toThrow(/retained/);
  });
});
