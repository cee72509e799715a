// LAN discovery by multicast DNS (@libp2p/mdns), plus the two things it does not do by itself:
// it never connects to what it finds (we dial), and it advertises every address the node listens on,
// loopback included (we drop addresses that cannot reach another machine before dialling).
//
// mDNS sends to 224.0.0.251 on every interface, so it is opt-in: only for agents meant to be on a LAN.
import { mdns } from '@libp2p/mdns';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import type { Libp2p, PeerDiscovery, PeerInfo } from '@libp2p/interface';
import type { MulticastDNSComponents } from '@libp2p/mdns';
import type { Logger } from '../log.ts';
import type { LanMembership } from './libp2p-transport.ts';

/** Grid agents answer only to this service name, not to every libp2p node on the LAN. */
export const PHANTOM_MDNS_SERVICE = '_phantom-grid._udp.local';

export interface LanPeer {
  readonly id: string;
  /** Dialable addresses, each ending in /p2p/<id>. */
  readonly addrs: readonly string[];
}

export interface MdnsDiscoveryOptions {
  readonly log: Logger;
  readonly serviceTag?: string;
  /** How often to ask the LAN again (ms); answers to other nodes' queries also count as discovery. */
  readonly intervalMs?: number;
  /** Keep 127.0.0.0/8 and ::1 addresses (only meaningful when every node shares one host). */
  readonly allowLoopback?: boolean;
}

export interface MdnsDiscovery {
  /** Goes into libp2p's `peerDiscovery` list (libp2p-host.ts does this for its `mdns` option). */
  readonly service: (components: MulticastDNSComponents) => PeerDiscovery;
  /** Peers found by multicast so far, with their latest usable addresses. */
  peers(): LanPeer[];
  onPeer(fn: (peer: LanPeer) => void): void;
  /** Dial every peer found (now and later) that is not connected yet. Stops with the node. */
  autoDial(node: Libp2p): void;
  /**
   * Resolves with the number of peers known once `count` are known or `timeoutMs` has passed: an
   * agent waits a moment before its first multicast, so it asks peers rather than founding alone.
   */
  waitForPeers(count: number, timeoutMs: number): Promise<number>;
  /** The multicast domain for the overlay transport (libp2p-transport.ts). */
  readonly membership: LanMembership;
}

const toRef = (p: LanPeer) => ({ id: p.id, addr: p.addrs[0]! });

const LOOPBACK = /^\/ip4\/127\.|^\/ip6\/::1\//;
const LINK_LOCAL_V6 = /^\/ip6\/fe80:/i;

export function createMdnsDiscovery(opts: MdnsDiscoveryOptions): MdnsDiscovery {
  const { log } = opts;
  const found = new Map<string, LanPeer>();
  const listeners: Array<(peer: LanPeer) => void> = [];

  const usable = (ma: Multiaddr): boolean => {
    const s = ma.toString();
    if (LINK_LOCAL_V6.test(s)) return false; // needs a zone id libp2p does not carry
    return opts.allowLoopback === true || !LOOPBACK.test(s);
  };

  const onFound = (info: PeerInfo): void => {
    const id = info.id.toString();
    const addrs = info.multiaddrs.filter(usable).map((ma) => ma.encapsulate(`/p2p/${id}`).toString());
    if (addrs.length === 0) {
      log.debug({ peer: id, advertised: info.multiaddrs.map(String) }, 'mDNS peer has no usable address');
      return;
    }
    const before = found.get(id);
    const peer: LanPeer = { id, addrs };
    found.set(id, peer);
    if (before && before.addrs.join() === addrs.join()) return;
    log.info({ peer: id, addrs }, 'mDNS found a peer');
    for (const fn of listeners) fn(peer);
  };

  const factory = mdns({ serviceTag: opts.serviceTag ?? PHANTOM_MDNS_SERVICE, interval: opts.intervalMs ?? 10_000 });

  return {
    service: (components) => {
      const d = factory(components);
      d.addEventListener('peer', (evt) => onFound(evt.detail));
      return d;
    },
    peers: () => [...found.values()],
    onPeer: (fn) => void listeners.push(fn),
    autoDial(node) {
      const self = node.peerId.toString();
      const dialing = new Set<string>();
      const dial = (peer: LanPeer): void => {
        if (peer.id === self || dialing.has(peer.id) || node.status !== 'started') return;
        if (node.getConnections().some((c) => c.remotePeer.toString() === peer.id && c.status === 'open')) return;
        dialing.add(peer.id);
        node.dial(peer.addrs.map((a) => multiaddr(a))).then(
          () => log.debug({ peer: peer.id }, 'dialled mDNS peer'),
          (err: Error) => log.warn({ peer: peer.id, addrs: peer.addrs, err: err.message }, 'could not dial mDNS peer'),
        ).finally(() => dialing.delete(peer.id));
      };
      listeners.push(dial);
      for (const p of found.values()) dial(p);
    },
    waitForPeers(count, timeoutMs) {
      if (found.size >= count) return Promise.resolve(found.size);
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(found.size), timeoutMs);
        listeners.push(() => {
          if (found.size < count) return;
          clearTimeout(timer);
          resolve(found.size);
        });
      });
    },
    membership: {
      peers: () => [...found.values()].map(toRef),
      onPeer: (fn) => void listeners.push((p) => fn(toRef(p))),
    },
  };
}
