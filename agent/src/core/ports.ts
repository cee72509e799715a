// The seams between the sans-IO overlay (agent/src/core) and the world. The simulator
// (agent/src/sim) and the real agent (libp2p, mDNS, RFC 2136 DNS, @ronomon/reed-solomon)
// each provide one implementation of every interface here; the node code is the same.

/** A peer as the overlay sees it: a stable identity and where to reach it (a multiaddr on libp2p). */
export interface NodeRef {
  readonly id: string;
  readonly addr: string;
}

export interface Clock {
  /** Milliseconds; only differences matter (virtual in the simulator). */
  now(): number;
}

export interface TimerHandle {
  cancel(): void;
}

export interface Timers {
  set(ms: number, fn: () => void): TimerHandle;
}

/**
 * Unreliable, unordered datagrams between nodes (libp2p: one short stream per message; the
 * simulator: an event after the link's latency, maybe lost). Received messages arrive as `unknown`:
 * the node validates every one itself (core/messages.ts), so no transport can skip validation.
 */
export interface Transport {
  readonly self: NodeRef;
  send(to: NodeRef, msg: unknown): void;
  /** Every node in this LAN's multicast domain (mDNS on a real LAN), the sender excluded. */
  multicast(msg: unknown): void;
  onMessage(handler: (from: NodeRef, raw: unknown) => void): void;
}

/** Location-independent names for region peers (RFC 2136 dynamic updates on the real network). */
export interface NameService {
  publish(name: string, addr: NodeRef): void;
  resolve(name: string, done: (addr: NodeRef | null) => void): void;
}

/**
 * Systematic Reed–Solomon over bytes. Callback-style because the real library runs in the thread
 * pool; the simulator completes callbacks in issue order so runs stay deterministic.
 */
export interface ErasureCodec {
  /** Returns k data shards followed by m parity shards, all `shardSize` bytes. */
  encode(data: Uint8Array, k: number, m: number, done: (err: Error | null, shards: Uint8Array[]) => void): void;
  /** `shards[i]` is shard i or null when missing; at least k present. Returns the first `length` bytes of data. */
  reconstruct(shards: ReadonlyArray<Uint8Array | null>, k: number, m: number, length: number, done: (err: Error | null, data: Uint8Array) => void): void;
}

/** Signatures for invites (Ed25519 on the real agent: agent/src/net/invite-crypto.ts). */
export interface SignatureScheme {
  sign(payload: Uint8Array, privateKey: string): string;
  verify(payload: Uint8Array, signature: string, publicKey: string): boolean;
}
