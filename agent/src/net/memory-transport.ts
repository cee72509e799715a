// An in-process network for tests and demos: every message goes through the same byte codec and
// size limit as the real network, then arrives asynchronously. LAN multicast domains are named.
// (The simulator has its own network with virtual time: agent/src/sim/world.ts.)
import { encodeMessage, MAX_MESSAGE_BYTES, type WireMessage } from '../core/messages.ts';
import type { Logger } from '../log.ts';
import type { NameService, NodeRef, Transport } from './transport.ts';

export interface MemoryNetwork {
  transport(self: NodeRef, lan?: string): Transport;
  /** Frames refused before they reached a node (oversized, not JSON). */
  readonly refused: number;
  /** Delivers raw bytes as if `from` had sent them (for tests of what a hostile peer can send). */
  inject(from: NodeRef, to: string, bytes: Uint8Array): void;
  /** Drops everything to and from this node (a crash) until it registers again. */
  disconnect(id: string): void;
}

export function createMemoryNetwork(opts: { maxBytes?: number; log?: Logger } = {}): MemoryNetwork {
  const maxBytes = opts.maxBytes ?? MAX_MESSAGE_BYTES;
  const nodes = new Map<string, { lan: string; handler: ((from: NodeRef, raw: unknown) => void) | null }>();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let refused = 0;

  const deliver = (from: NodeRef, to: string, bytes: Uint8Array) => {
    setImmediate(() => {
      const n = nodes.get(to);
      if (!n?.handler) return;
      if (bytes.length > maxBytes) {
        refused++;
        opts.log?.warn({ from: from.id, bytes: bytes.length, max: maxBytes }, 'frame refused: oversized');
        return;
      }
      let raw: unknown;
      try {
        raw = JSON.parse(decoder.decode(bytes));
      } catch {
        refused++;
        opts.log?.warn({ from: from.id }, 'frame refused: not JSON');
        return;
      }
      n.handler(from, raw);
    });
  };

  return {
    get refused() {
      return refused;
    },
    inject: deliver,
    disconnect(id) {
      nodes.delete(id);
    },
    transport(self, lan = 'lan0') {
      const entry = { lan, handler: null as ((from: NodeRef, raw: unknown) => void) | null };
      nodes.set(self.id, entry);
      const alive = () => nodes.get(self.id) === entry;
      return {
        self,
        send(to, msg) {
          if (alive()) deliver(self, to.id, encodeMessage(msg as WireMessage));
        },
        multicast(msg) {
          if (!alive()) return;
          const bytes = encodeMessage(msg as WireMessage);
          for (const [id, n] of nodes) if (id !== self.id && n.lan === lan) deliver(self, id, bytes);
        },
        onMessage(handler) {
          entry.handler = handler;
        },
      };
    },
  };
}

/** A name service in memory (the real one is DNS with RFC 2136 updates: ./dns-name-service.ts). */
export function createMemoryNameService(): NameService {
  const names = new Map<string, NodeRef>();
  return {
    publish: (name, addr) => void names.set(name, addr),
    resolve: (name, done) => setImmediate(() => done(names.get(name) ?? null)),
  };
}
