// The overlay's NameService over real DNS: a region peer's NodeRef is kept as libp2p dnsaddr TXT
// records at `_dnsaddr.<name>`, so a new site can also dial `/dnsaddr/<name>` directly.
import type { NameService, NodeRef } from './transport.ts';
import type { DnsPublisher } from './dns-publish.ts';
import type { DnsLookup } from './dns-lookup.ts';
import type { Logger } from '../log.ts';

const ID_PREFIX = 'phantom-id=';
const ADDR_PREFIX = 'dnsaddr=';

export interface DnsNameService extends NameService {
  /** Resolves when every publish issued so far has been applied or has failed (for shutdown and tests). */
  settled(): Promise<void>;
}

export interface DnsNameServiceDeps {
  /** Zone that relative names live in, e.g. `grid.example.org`. */
  readonly zone: string;
  /** Only nodes holding the zone's update key can publish; everyone can resolve. */
  readonly publisher?: DnsPublisher;
  readonly lookup: DnsLookup;
  readonly log: Logger;
  /** Record TTL: short, because region peers change. */
  readonly ttl?: number;
}

export function dnsRecordName(name: string, zone: string): string {
  const abs = name.endsWith('.') ? name : `${name}.${zone.endsWith('.') ? zone : `${zone}.`}`;
  return `_dnsaddr.${abs}`;
}

/** The TXT strings that describe `ref`; the id is spelled out too, for refs whose addr has no /p2p/. */
export function encodeNodeRef(ref: NodeRef): string[] {
  return [`${ADDR_PREFIX}${ref.addr}`, `${ID_PREFIX}${ref.id}`];
}

export function decodeNodeRef(txt: readonly string[]): NodeRef | null {
  const addr = txt.find((t) => t.startsWith(ADDR_PREFIX))?.slice(ADDR_PREFIX.length);
  if (!addr) return null;
  const id = txt.find((t) => t.startsWith(ID_PREFIX))?.slice(ID_PREFIX.length) ?? /\/p2p\/([^/]+)$/.exec(addr)?.[1];
  return id ? { id, addr } : null;
}

export function createDnsNameService(deps: DnsNameServiceDeps): DnsNameService {
  const { publisher, lookup, log, zone } = deps;
  // Per name: the newest ref still to publish, and the chain that publishes it. Updates to one name
  // go out one at a time and intermediate ones are skipped, so a slow server never sees them reordered.
  const pending = new Map<string, NodeRef>();
  const running = new Map<string, Promise<void>>();

  const drain = async (record: string): Promise<void> => {
    for (let ref = pending.get(record); ref; ref = pending.get(record)) {
      pending.delete(record);
      try {
        if (!publisher) throw new Error('no DNS update key configured on this node');
        await publisher.publish(record, { txt: encodeNodeRef(ref), ttl: deps.ttl ?? 30 });
        log.info({ record, id: ref.id, addr: ref.addr }, 'region peer name published');
      } catch (err) {
        // The overlay re-publishes on its own schedule (every new term); a failed one is logged, not fatal.
        log.error({ record, err: (err as Error).message }, 'region peer name publish failed');
      }
    }
    running.delete(record);
  };

  return {
    publish(name, addr) {
      const record = dnsRecordName(name, zone);
      pending.set(record, addr);
      // Started on a later tick so `running` holds the chain before drain() can finish and remove it.
      if (!running.has(record)) running.set(record, Promise.resolve().then(() => drain(record)));
    },
    resolve(name, done) {
      const record = dnsRecordName(name, zone);
      lookup.txt(record).then(
        (txt) => done(decodeNodeRef(txt)),
        (err: Error) => {
          log.warn({ record, err: err.message }, 'region peer name lookup failed');
          done(null);
        },
      );
    },
    async settled() {
      while (running.size > 0) await Promise.all([...running.values()]);
    },
  };
}
