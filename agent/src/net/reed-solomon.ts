// The real erasure codec: @ronomon/reed-solomon (Cauchy Reed–Solomon, native, thread pool), used by
// the agent and by the simulator alike. Shards are padded to a multiple of 8 bytes as the library
// requires; the caller keeps the data length (ShardMeta.length) to cut the padding off again.
import { createRequire } from 'node:module';
import type ReedSolomonModule from '@ronomon/reed-solomon';
import type { ErasureCodec } from './transport.ts';

// require(), not import: Node warns that importing a native addon from ESM is experimental.
const ReedSolomon = createRequire(import.meta.url)('@ronomon/reed-solomon') as typeof ReedSolomonModule;

const contexts = new Map<string, Buffer>();
function context(k: number, m: number): Buffer {
  const key = `${k}+${m}`;
  let c = contexts.get(key);
  if (!c) contexts.set(key, (c = ReedSolomon.create(k, m)));
  return c;
}

export function shardSizeFor(length: number, k: number): number {
  return Math.max(8, Math.ceil(Math.ceil(length / k) / 8) * 8);
}

const bits = (from: number, to: number) => {
  let b = 0;
  for (let i = from; i < to; i++) b |= 1 << i;
  return b;
};

export function createReedSolomonCodec(): ErasureCodec {
  return {
    encode(data, k, m, done) {
      const size = shardSizeFor(data.length, k);
      const buffer = Buffer.alloc(size * k);
      buffer.set(data);
      const dataShards = Array.from({ length: k }, (_, i) => new Uint8Array(buffer.subarray(i * size, (i + 1) * size)));
      if (m === 0) return queueMicrotask(() => done(null, dataShards));
      const parity = Buffer.alloc(size * m);
      ReedSolomon.encode(context(k, m), bits(0, k), bits(k, k + m), buffer, 0, buffer.length, parity, 0, parity.length, (err: Error | undefined) => {
        if (err) return done(err, []);
        done(null, [...dataShards, ...Array.from({ length: m }, (_, i) => new Uint8Array(parity.subarray(i * size, (i + 1) * size)))]);
      });
    },
    reconstruct(shards, k, m, length, done) {
      const present = shards.map((s) => s !== null);
      const size = shards.find((s) => s)?.length ?? 0;
      if (present.filter(Boolean).length < k || size === 0 || shards.length !== k + m) {
        return queueMicrotask(() => done(new Error(`need ${k} of ${k + m} shards, have ${present.filter(Boolean).length}`), new Uint8Array()));
      }
      if (shards.some((s) => s !== null && s.length !== size)) return queueMicrotask(() => done(new Error('shards differ in size'), new Uint8Array()));
      const buffer = Buffer.alloc(size * k);
      const parity = Buffer.alloc(size * Math.max(1, m));
      shards.forEach((s, i) => {
        if (!s) return;
        if (i < k) buffer.set(s, i * size);
        else parity.set(s, (i - k) * size);
      });
      let targets = 0;
      for (let i = 0; i < k; i++) if (!present[i]) targets |= 1 << i;
      if (targets === 0) return queueMicrotask(() => done(null, new Uint8Array(buffer.subarray(0, length))));
      let sources = 0;
      present.forEach((p, i) => {
        if (p) sources |= 1 << i;
      });
      ReedSolomon.encode(context(k, m), sources, targets, buffer, 0, buffer.length, parity, 0, size * m, (err: Error | undefined) => {
        if (err) return done(err, new Uint8Array());
        done(null, new Uint8Array(buffer.subarray(0, length)));
      });
    },
  };
}
