// The baseline the overlay is measured against: Gnutella-style flooding on the same nodes, sites
// and latencies. Each node keeps `degree` random neighbours (a ring plus random chords, so the graph
// is connected); a query is forwarded to every neighbour on first sight until its TTL runs out
// (7, Gnutella's default), and every matching node answers the requester directly.
import { z } from 'zod';
import { matches } from '../core/discovery.ts';
import { NodeResources, QuerySpec } from '../core/messages.ts';
import type { ErasureCodec } from '../core/ports.ts';
import { derive, shuffle } from './prng.ts';
import { World, type Site } from './world.ts';

const FloodQuery = z.object({ t: z.literal('flood_query'), qid: z.string(), origin: z.string(), spec: QuerySpec, ttl: z.number().int().nonnegative() }).strict();
const FloodHit = z.object({ t: z.literal('flood_hit'), qid: z.string(), node: z.string(), res: NodeResources }).strict();
const FloodMsg = z.discriminatedUnion('t', [FloodQuery, FloodHit]);

export interface FloodResult {
  queries: number;
  messages: number;
  messagesPerQuery: number;
  /** Share of queries that got at least `count` answers. */
  answered: number;
  /** Share of nodes a query reached, on average. */
  reach: number;
}

export async function runFloodBaseline(o: {
  seed: number;
  nodes: ReadonlyArray<{ id: string; site: Site; res: NodeResources; vos: string[] }>;
  queries: ReadonlyArray<{ requester: string; spec: QuerySpec; count: number }>;
  codec: ErasureCodec;
  degree?: number;
  ttl?: number;
}): Promise<FloodResult> {
  const degree = o.degree ?? 4;
  const ttl = o.ttl ?? 7;
  const world = new World(o.seed, o.codec);
  const r = derive(o.seed, 'flood-graph');
  const info = new Map(o.nodes.map((n) => [n.id, n]));
  const neighbours = new Map<string, Set<string>>(o.nodes.map((n) => [n.id, new Set<string>()]));
  const link = (a: string, b: string) => {
    if (a === b) return;
    neighbours.get(a)!.add(b);
    neighbours.get(b)!.add(a);
  };
  const order = shuffle(r, o.nodes.map((n) => n.id));
  order.forEach((id, i) => link(id, order[(i + 1) % order.length]!));
  for (const id of order) while (neighbours.get(id)!.size < degree) link(id, order[Math.floor(r() * order.length)]!);

  const seen = new Map<string, Set<string>>();
  const hits = new Map<string, Set<string>>();
  for (const n of o.nodes) {
    const slot = world.addSlot(n.id, n.site);
    slot.up = true;
    slot.incarnation = 1;
    const t = world.transport(slot);
    t.onMessage((from, raw) => {
      const p = FloodMsg.safeParse(raw);
      if (!p.success) return;
      const m = p.data;
      if (m.t === 'flood_hit') {
        hits.get(m.qid)?.add(m.node);
        return;
      }
      let s = seen.get(m.qid);
      if (!s) seen.set(m.qid, (s = new Set()));
      if (s.has(n.id)) return;
      s.add(n.id);
      const me = info.get(n.id)!;
      if (n.id !== m.origin && matches(m.spec, me.res, me.vos)) t.send({ id: m.origin, addr: '' }, { t: 'flood_hit', qid: m.qid, node: n.id, res: me.res });
      if (m.ttl <= 1) return;
      for (const nb of neighbours.get(n.id)!) if (nb !== from.id) t.send({ id: nb, addr: '' }, { ...m, ttl: m.ttl - 1 });
    });
  }

  let answered = 0;
  let reach = 0;
  const before = world.counters.sent;
  for (const [i, q] of o.queries.entries()) {
    const qid = `f${i}`;
    hits.set(qid, new Set());
    seen.set(qid, new Set([q.requester]));
    const origin = world.slots.get(q.requester)!;
    for (const nb of neighbours.get(q.requester)!) world.send(origin, nb, { t: 'flood_query', qid, origin: q.requester, spec: q.spec, ttl });
    await world.runUntil(world.now + 60_000);
    if (hits.get(qid)!.size >= q.count) answered++;
    reach += seen.get(qid)!.size / o.nodes.length;
    seen.delete(qid);
  }
  const messages = world.counters.sent - before;
  const n = Math.max(1, o.queries.length);
  return { queries: o.queries.length, messages, messagesPerQuery: messages / n, answered: answered / n, reach: reach / n };
}
