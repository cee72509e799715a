// Ed25519 signatures for invites (node:crypto), and creating a grid's signing key.
// Keys travel as base64 DER (SPKI public, PKCS#8 private) so they fit config files and invites.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import type { SignatureScheme } from './transport.ts';

export interface GridKey {
  /** Derived from the public key: a grid cannot be renamed without a new key. */
  readonly grid: string;
  readonly publicKey: string;
  readonly privateKey: string;
}

export function createGridKey(): GridKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const pub = publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  return { grid: gridIdFor(pub), publicKey: pub, privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64') };
}

export function gridIdFor(publicKey: string): string {
  return `g${createHash('sha256').update(publicKey).digest('hex').slice(0, 16)}`;
}

export function createEd25519Signatures(): SignatureScheme {
  const pubCache = new Map<string, ReturnType<typeof createPublicKey>>();
  const privCache = new Map<string, ReturnType<typeof createPrivateKey>>();
  return {
    sign(payload, privateKey) {
      let k = privCache.get(privateKey);
      if (!k) privCache.set(privateKey, (k = createPrivateKey({ key: Buffer.from(privateKey, 'base64'), format: 'der', type: 'pkcs8' })));
      return sign(null, payload, k).toString('base64');
    },
    verify(payload, signature, publicKey) {
      let k = pubCache.get(publicKey);
      if (!k) pubCache.set(publicKey, (k = createPublicKey({ key: Buffer.from(publicKey, 'base64'), format: 'der', type: 'spki' })));
      const sig = Buffer.from(signature, 'base64');
      return sig.length === 64 && verify(null, payload, k, sig);
    },
  };
}
