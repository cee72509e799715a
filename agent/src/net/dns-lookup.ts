// Reads region-peer names back. Uses its own c-ares resolver pointed at the grid's DNS server, so
// no OS cache stands between a changed record and the next site that looks it up.
import { Resolver } from 'node:dns/promises';
import { z } from 'zod';
import type { Logger } from '../log.ts';

export const DnsLookupOptions = z.object({
  /** `host` or `host:port` (IPv6 as `[addr]:port`); empty means the system's resolvers. */
  servers: z.array(z.string().min(1).max(300)).max(8).default([]),
  timeoutMs: z.number().int().min(50).max(30_000).default(2000),
  tries: z.number().int().min(1).max(5).default(2),
});
export type DnsLookupOptionsInput = z.input<typeof DnsLookupOptions>;

export interface SrvRecord {
  readonly priority: number;
  readonly weight: number;
  readonly port: number;
  readonly name: string;
}

export interface DnsLookup {
  /** Each TXT record with its character-strings joined (as RFC 7208 readers do); [] when there is none. */
  txt(name: string): Promise<string[]>;
  srv(name: string): Promise<SrvRecord[]>;
  a(name: string): Promise<string[]>;
}

// "No such name" and "no record of that type" are answers, not failures.
const ABSENT = new Set(['ENOTFOUND', 'ENODATA']);

export function createDnsLookup(input: DnsLookupOptionsInput & { log: Logger }): DnsLookup {
  const parsed = DnsLookupOptions.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`DNS lookup option ${issue.path.join('.') || '(options)'}: ${issue.message}`);
  }
  const opts = parsed.data;
  const resolver = new Resolver({ timeout: opts.timeoutMs, tries: opts.tries });
  if (opts.servers.length > 0) resolver.setServers(opts.servers);
  const log = input.log;

  const query = async <T>(kind: string, name: string, fn: () => Promise<T[]>): Promise<T[]> => {
    try {
      return await fn();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (ABSENT.has(code)) return [];
      log.warn({ name, kind, code }, 'DNS lookup failed');
      throw new Error(`DNS ${kind} lookup of ${name} failed: ${code || (err as Error).message}`, { cause: err });
    }
  };

  return {
    txt: async (name) => (await query('TXT', name, () => resolver.resolveTxt(name))).map((chunks) => chunks.join('')),
    srv: (name) => query('SRV', name, () => resolver.resolveSrv(name)),
    a: (name) => query('A', name, () => resolver.resolve4(name)),
  };
}
