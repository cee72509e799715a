// Region-peer names against a real BIND 9 taking RFC 2136 updates on loopback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { multiaddr } from '@multiformats/multiaddr';
import { startDnsServer, type DnsServer } from '../support/dns-server.ts';
import { createDnsPublisher, DnsUpdateError, type DnsPublisher } from '../../agent/src/net/dns-publish.ts';
import { createDnsLookup, type DnsLookup } from '../../agent/src/net/dns-lookup.ts';
import { createDnsNameService } from '../../agent/src/net/dns-name-service.ts';
import { createLibp2pHost } from '../../agent/src/net/libp2p-host.ts';
import type { NodeRef } from '../../agent/src/net/transport.ts';
import { silentLogger } from '../../agent/src/log.ts';

function captureLogger(): { log: pino.Logger; lines: () => Array<Record<string, unknown>> } {
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
  return { log, lines: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

let dns: DnsServer;
let publisher: DnsPublisher;
let lookup: DnsLookup;

beforeAll(async () => {
  dns = await startDnsServer({ zone: 'grid.test' });
  publisher = createDnsPublisher({ server: dns.host, port: dns.port, zone: dns.zone, keyName: dns.keyName, keySecret: dns.keySecret, algorithm: dns.algorithm, log: silentLogger() });
  lookup = createDnsLookup({ servers: [`${dns.host}:${dns.port}`], log: silentLogger() });
});

afterAll(async () => {
  await dns?.stop();
});

describe('RFC 2136 publisher and resolver', () => {
  it('publishes TXT records and replaces them atomically on re-publish', async () => {
    await publisher.publish('_dnsaddr.region-a', { txt: ['dnsaddr=/ip4/10.0.0.1/tcp/4001/p2p/QmOne', 'phantom-id=one'] });
    expect((await lookup.txt('_dnsaddr.region-a.grid.test')).sort()).toEqual(['dnsaddr=/ip4/10.0.0.1/tcp/4001/p2p/QmOne', 'phantom-id=one']);

    // The region peer changed: the old address must be gone, not merely joined by the new one.
    await publisher.publish('_dnsaddr.region-a.grid.test.', { txt: ['dnsaddr=/ip4/10.0.0.2/tcp/4002/p2p/QmTwo'] });
    expect(await lookup.txt('_dnsaddr.region-a.grid.test')).toEqual(['dnsaddr=/ip4/10.0.0.2/tcp/4002/p2p/QmTwo']);
  });

  it('publishes SRV + A, and replacing one type leaves the others', async () => {
    await publisher.publish('_phantom._tcp.region-b', { srv: [{ port: 4001, target: 'peer-b.grid.test' }], txt: ['v=1'] });
    await publisher.publish('peer-b', { a: ['10.0.0.7'] });
    expect(await lookup.srv('_phantom._tcp.region-b.grid.test')).toMatchObject([{ priority: 0, weight: 0, port: 4001, name: 'peer-b.grid.test' }]);
    expect(await lookup.a('peer-b.grid.test')).toEqual(['10.0.0.7']);

    await publisher.publish('_phantom._tcp.region-b', { srv: [{ port: 4555, target: 'peer-c.grid.test', priority: 5, weight: 1 }] });
    expect(await lookup.srv('_phantom._tcp.region-b.grid.test')).toMatchObject([{ priority: 5, weight: 1, port: 4555, name: 'peer-c.grid.test' }]);
    expect(await lookup.txt('_phantom._tcp.region-b.grid.test')).toEqual(['v=1']);

    await publisher.remove('_phantom._tcp.region-b');
    expect(await lookup.srv('_phantom._tcp.region-b.grid.test')).toEqual([]);
    expect(await lookup.txt('_phantom._tcp.region-b.grid.test')).toEqual([]);
  });

  it('refuses updates signed with a wrong secret or an unknown key, and changes nothing', async () => {
    await publisher.publish('guarded', { txt: ['kept'] });
    const badSecret = createDnsPublisher({ server: dns.host, port: dns.port, zone: dns.zone, keyName: dns.keyName, keySecret: Buffer.alloc(32, 7).toString('base64'), log: silentLogger() });
    const err = await badSecret.publish('guarded', { txt: ['forged'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DnsUpdateError);
    expect((err as DnsUpdateError).code).toBe('BADSIG');
    expect((err as Error).message).toMatch(/guarded\.grid\.test\. .*BADSIG/);

    const badKey = createDnsPublisher({ server: dns.host, port: dns.port, zone: dns.zone, keyName: 'nobody', keySecret: dns.keySecret, log: silentLogger() });
    await expect(badKey.publish('guarded', { txt: ['forged'] })).rejects.toMatchObject({ code: 'BADKEY' });

    const otherZone = createDnsPublisher({ server: dns.host, port: dns.port, zone: 'elsewhere.test', keyName: dns.keyName, keySecret: dns.keySecret, log: silentLogger() });
    await expect(otherZone.publish('x', { txt: ['forged'] })).rejects.toMatchObject({ code: 'NOTAUTH' });

    expect(await lookup.txt('guarded.grid.test')).toEqual(['kept']);
  });

  it('rejects bad input before anything is sent, naming the field', async () => {
    await expect(publisher.publish('bad name!', { txt: ['x'] })).rejects.toThrow(/DNS name "bad name!"/);
    await expect(publisher.publish('peer.other.test.', { txt: ['x'] })).rejects.toThrow(/outside the zone grid\.test\./);
    await expect(publisher.publish('peer', { txt: ['line\nupdate delete grid.test. ANY'] })).rejects.toThrow(/txt\.0: TXT strings are printable ASCII/);
    await expect(publisher.publish('peer', { a: ['300.1.1.1'] })).rejects.toThrow(/a\.0/);
    await expect(publisher.publish('peer', {})).rejects.toThrow(/at least one of txt, srv, a/);
    expect(() => createDnsPublisher({ server: '127.0.0.1', port: 70000, zone: 'grid.test', keyName: 'k', keySecret: dns.keySecret, log: silentLogger() })).toThrow(/option port/);
  });

  it('reports an unreachable server as such', async () => {
    const dead = createDnsPublisher({ server: '127.0.0.1', port: 1, zone: dns.zone, keyName: dns.keyName, keySecret: dns.keySecret, timeoutMs: 2000, log: silentLogger() });
    await expect(dead.publish('peer', { txt: ['x'] })).rejects.toMatchObject({ code: expect.stringMatching(/UNREACHABLE|TIMEOUT/) });
  });
});

describe('NameService over DNS: a new site finds the current region peer', () => {
  it('follows the region peer when it changes, and a failed publish is logged without stopping the node', async () => {
    const a = await createLibp2pHost({ privateKey: await generateKeyPair('Ed25519') });
    const b = await createLibp2pHost({ privateKey: await generateKeyPair('Ed25519') });
    const site = await createLibp2pHost({ privateKey: await generateKeyPair('Ed25519') });
    try {
      const ref = (n: typeof a): NodeRef => ({ id: n.peerId.toString(), addr: n.getMultiaddrs()[0]!.toString() });
      const cap = captureLogger();
      const names = createDnsNameService({ zone: dns.zone, publisher, lookup, log: cap.log });
      const resolve = (name: string) => new Promise<NodeRef | null>((r) => names.resolve(name, r));

      expect(await resolve('region-east')).toBeNull();

      names.publish('region-east', ref(a));
      await names.settled();
      const first = await resolve('region-east');
      expect(first).toEqual(ref(a));
      // The new site dials what it found: it reaches the region peer, identified by its key.
      expect((await site.dial(multiaddr(first!.addr))).remotePeer.toString()).toBe(a.peerId.toString());

      // A newer publish while one is in flight wins; the intermediate one may be skipped.
      names.publish('region-east', ref(a));
      names.publish('region-east', ref(b));
      await names.settled();
      const second = await resolve('region-east');
      expect(second).toEqual(ref(b));
      expect((await site.dial(multiaddr(second!.addr))).remotePeer.toString()).toBe(b.peerId.toString());

      // A node whose key is wrong keeps running; the reason is in its log; the record is unchanged.
      const forger = createDnsPublisher({ server: dns.host, port: dns.port, zone: dns.zone, keyName: dns.keyName, keySecret: Buffer.alloc(32, 1).toString('base64'), log: silentLogger() });
      const badNames = createDnsNameService({ zone: dns.zone, publisher: forger, lookup, log: cap.log });
      badNames.publish('region-east', ref(a));
      await badNames.settled();
      expect(cap.lines().some((l) => l.msg === 'region peer name publish failed' && /BADSIG/.test(String(l.err)))).toBe(true);
      expect(await resolve('region-east')).toEqual(ref(b));

      // A site without the update key can still resolve, and says why it cannot publish.
      const readOnly = createDnsNameService({ zone: dns.zone, lookup, log: cap.log });
      readOnly.publish('region-east', ref(a));
      await readOnly.settled();
      expect(cap.lines().some((l) => /no DNS update key/.test(String(l.err)))).toBe(true);
      expect(await new Promise((r) => readOnly.resolve('region-east', r))).toEqual(ref(b));
    } finally {
      await Promise.all([a.stop(), b.stop(), site.stop()]);
    }
  });
});
