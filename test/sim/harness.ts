// A hand-built simulated grid for focused tests: named nodes on named sites, booted when the test
// says, crashed and partitioned by hand. Same World and OverlayNode as `phantom sim`.
import { DEFAULT_OVERLAY, OverlayNode, type OverlayConfig, type QueryResult } from '../../agent/src/core/node.ts';
import { issueInvite } from '../../agent/src/core/invite.ts';
import type { NodeResources, QuerySpec } from '../../agent/src/core/messages.ts';
import { derive } from '../../agent/src/sim/prng.ts';
import { SIM_EPOCH, World, type Slot } from '../../agent/src/sim/world.ts';
import { createReedSolomonCodec } from '../../agent/src/net/reed-solomon.ts';
import { createEd25519Signatures, createGridKey, type GridKey } from '../../agent/src/net/invite-crypto.ts';

export const signatures = createEd25519Signatures();
const codec = createReedSolomonCodec();

export interface TestNodeSpec {
  id: string;
  site: number;
  region: number;
  /** 0..1: how much of the machine is free (drives the availability score). */
  free?: number;
  res?: Partial<NodeResources>;
  vos?: string[];
  invite?: string;
}

export interface TestGrid {
  world: World;
  key: GridKey;
  nodes: Map<string, OverlayNode>;
  slots: Map<string, Slot>;
  boot(id: string): OverlayNode;
  crash(id: string): void;
  run(ms: number): Promise<void>;
  node(id: string): OverlayNode;
  leaderOf(ids: string[]): OverlayNode[];
  query(from: string, spec: QuerySpec, count?: number): Promise<QueryResult>;
  put(from: string, key: string): Promise<boolean>;
  invite(opts?: { vos?: string[]; expiresAt?: number; node?: string; key?: GridKey }): string;
  /** Every time a node started leading: with the hash of the state it leads with. */
  ready: Array<{ id: string; tier: string; group: string; how: string; hash: string | null; at: number }>;
  refusals: Array<{ id: string; reason: string }>;
}

export function createTestGrid(specs: TestNodeSpec[], opts: { seed?: number; regions?: string[]; overlay?: Partial<OverlayConfig>; key?: GridKey } = {}): TestGrid {
  const seed = opts.seed ?? 1;
  const world = new World(seed, codec);
  const key = opts.key ?? createGridKey();
  const regions = opts.regions ?? ['r0', 'r1', 'r2'].slice(0, Math.max(...specs.map((s) => s.region)) + 1);
  const nodes = new Map<string, OverlayNode>();
  const slots = new Map<string, Slot>();
  const byId = new Map(specs.map((s) => [s.id, s]));
  const sitePos = new Map<number, number>();
  const invite: TestGrid['invite'] = (o = {}) =>
    issueInvite({ grid: key.grid, gridKey: key.publicKey, vos: o.vos ?? ['vo-a', 'vo-b', 'vo-c', 'vo-d'], node: o.node ?? '', issuedAt: SIM_EPOCH - 1000, expiresAt: o.expiresAt ?? SIM_EPOCH + 86_400_000 * 30, nonce: 'x' }, (o.key ?? key).privateKey, signatures);
  for (const s of specs) {
    if (!sitePos.has(s.site)) sitePos.set(s.site, sitePos.size / 10);
    slots.set(s.id, world.addSlot(s.id, { index: s.site, region: s.region, x: sitePos.get(s.site)! }));
  }
  const boots = new Map<string, number>();
  const grid: TestGrid = {
    world, key, nodes, slots,
    boot(id) {
      const s = byId.get(id)!;
      const slot = slots.get(id)!;
      slot.incarnation++;
      slot.up = true;
      boots.set(id, world.now);
      const res: NodeResources = { cores: 8, memoryMiB: 16384, flops: 1e11, diskMiB: 100_000, bandwidthMbps: 1000, ...s.res };
      const cfg: OverlayConfig = { ...DEFAULT_OVERLAY, ...opts.overlay, grid: key.grid, gridKey: key.publicKey, invite: s.invite ?? invite({}), region: regions[s.region]!, regions, res, vos: s.vos ?? ['vo-a'] };
      const free = s.free ?? 0.5;
      const node = new OverlayNode(cfg, {
        transport: world.transport(slot), clock: world.clock(), timers: world.timers(slot), random: derive(seed, `${id}:${slot.incarnation}`),
        erasure: world.erasure(slot), signatures, names: world.nameService(slot),
        log: { debug() {}, info() {}, warn() {}, error() {} },
        events: {
          leaderReady: (tier, group, _term, how, hash) => grid.ready.push({ id, tier, group, how, hash, at: world.now }),
          refused: (reason) => grid.refusals.push({ id, reason }),
        },
        availability: () => ({ freeCores: 16 * free, freeMemoryMiB: 32768 * free, uptimeMs: world.now - boots.get(id)!, recentFailures: 0 }),
      });
      nodes.set(id, node);
      node.start();
      return node;
    },
    crash(id) {
      slots.get(id)!.up = false;
      nodes.get(id)?.stop();
      nodes.delete(id);
    },
    run: (ms) => world.runUntil(world.now + ms),
    node: (id) => nodes.get(id)!,
    leaderOf: (ids) => ids.flatMap((id) => (nodes.get(id)?.sub.isLeader ? [nodes.get(id)!] : [])),
    async query(from, spec, count = 1) {
      let result: QueryResult | null = null;
      grid.node(from).query(spec, count, (r) => (result = r));
      for (let i = 0; i < 100 && !result; i++) await grid.run(100);
      if (!result) throw new Error('query never finished');
      return result;
    },
    async put(from, k) {
      let ok: boolean | null = null;
      grid.node(from).put(k, { k }, (r) => (ok = r.ok));
      for (let i = 0; i < 200 && ok === null; i++) await grid.run(100);
      return ok === true;
    },
    invite,
    ready: [],
    refusals: [],
  };
  return grid;
}

/** Boots everyone, spread over `spreadMs`, and lets the grid settle. */
export async function bootAll(g: TestGrid, ids: string[], spreadMs = 2_000, settleMs = 10_000): Promise<void> {
  ids.forEach((id, i) => g.world.queue.schedule(g.world.now + (spreadMs * i) / ids.length, () => g.boot(id)));
  await g.run(spreadMs + settleMs);
}
