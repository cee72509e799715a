import { createLibp2p, type Libp2p } from 'libp2p';
import { tcp } from '@libp2p/tcp';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify } from '@libp2p/identify';
import { ping } from '@libp2p/ping';
import type { PrivateKey } from '@libp2p/interface';
import type { MdnsDiscovery } from './mdns-discovery.ts';

export interface Libp2pHostOptions {
  readonly privateKey: PrivateKey;
  /** Multiaddrs to listen on; loopback by default (the LAN is opt-in). */
  readonly listen?: readonly string[];
  /** LAN discovery by multicast (opt-in: it sends on every interface); call `mdns.autoDial(node)` after. */
  readonly mdns?: MdnsDiscovery;
}

/** The real transport: TCP + noise + yamux, identify and ping (machine facts: libp2p 3 needs Node >= 22). */
export async function createLibp2pHost(opts: Libp2pHostOptions): Promise<Libp2p<{ identify: ReturnType<ReturnType<typeof identify>>; ping: ReturnType<ReturnType<typeof ping>> }>> {
  return createLibp2p({
    privateKey: opts.privateKey,
    addresses: { listen: [...(opts.listen ?? ['/ip4/127.0.0.1/tcp/0'])] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // Loopback tests open many connections from one host; the default (5/s) refuses them.
    connectionManager: { inboundConnectionThreshold: 1000 },
    peerDiscovery: opts.mdns ? [opts.mdns.service] : [],
    services: { identify: identify(), ping: ping() },
  });
}
