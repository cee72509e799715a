import { readFileSync, existsSync } from 'node:fs';
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import type { PrivateKey, PeerId } from '@libp2p/interface';
import { writeFileAtomic } from './config/atomic-write.ts';

export interface NodeIdentity {
  readonly privateKey: PrivateKey;
  readonly peerId: PeerId;
  /** True when this start created the key (a new node). */
  readonly created: boolean;
}

/** The node's Ed25519 key, kept 0600 in the data dir: the node's peer id stays the same across restarts. */
export async function loadOrCreateIdentity(path: string): Promise<NodeIdentity> {
  if (existsSync(path)) {
    let privateKey: PrivateKey;
    try {
      privateKey = privateKeyFromProtobuf(readFileSync(path));
    } catch (err) {
      throw new Error(`identity key ${path} is unreadable or corrupt (${(err as Error).message}); move it away to create a new node identity`, { cause: err });
    }
    return { privateKey, peerId: peerIdFromPrivateKey(privateKey), created: false };
  }
  const privateKey = await generateKeyPair('Ed25519');
  writeFileAtomic(path, privateKeyToProtobuf(privateKey), 0o600);
  return { privateKey, peerId: peerIdFromPrivateKey(privateKey), created: true };
}
