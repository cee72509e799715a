// The namespace LAN helper itself: shaping on a node's link, and cleanup of what crashed runs leave.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';

import { createNetnsLan, netemAvailable, removeStaleNamespaces, type NetnsLan } from '../support/netns.ts';

let lan: NetnsLan;

beforeAll(async () => {
  lan = await createNetnsLan({ nodes: 2 });
});

afterAll(() => lan?.destroy());

const namespaces = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0]);

/** Seconds until node 1 has received `bytes` from node 0 over TCP, and how many arrived. */
async function transfer(bytes: number): Promise<{ seconds: number; received: number }> {
  const [a, b] = lan.nodes;
  const server = lan.spawnIn(b!.ns, process.execPath, ['-e', `
    require('node:net').createServer((s) => {
      let n = 0;
      s.on('data', (d) => (n += d.length));
      s.on('end', () => { console.log(n); process.exit(0); });
    }).listen(9000, () => console.log('listening'));`]);
  let out = '';
  server.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  while (!out.includes('listening')) await new Promise((r) => setTimeout(r, 20));
  const t = process.hrtime.bigint();
  lan.spawnIn(a!.ns, process.execPath, ['-e', `const s = require('node:net').connect(9000, '${b!.ip}', () => s.end(Buffer.alloc(${bytes})));`]);
  await done;
  return { seconds: Number(process.hrtime.bigint() - t) / 1e9, received: Number(out.split('\n')[1]) };
}

describe('network namespace LAN', () => {
  it('limits a node link to the rate asked for, and lifts the limit', async () => {
    // 256 KiB at 1 Mbit/s needs at least 2 s whatever the machine; unshaped it is a few ms.
    lan.setLinkRate(lan.nodes[0]!.ns, '1mbit');
    expect(lan.execIn(lan.nodes[0]!.ns, 'tc', ['qdisc', 'show', 'dev', 'eth0'])).toMatch(/tbf .*rate 1Mbit/);
    expect(lan.execIn(lan.switchNs, 'tc', ['qdisc', 'show', 'dev', lan.nodes[0]!.switchPort])).toMatch(/tbf .*rate 1Mbit/);
    const shaped = await transfer(256 * 1024);
    expect(shaped.received).toBe(256 * 1024);
    expect(shaped.seconds).toBeGreaterThan(1.5);
    lan.setLinkRate(lan.nodes[0]!.ns, null);
    expect(lan.execIn(lan.nodes[0]!.ns, 'tc', ['qdisc', 'show', 'dev', 'eth0'])).not.toMatch(/tbf/);
    expect(() => lan.setLinkRate(lan.nodes[0]!.ns, 'fast')).toThrow(/not like 10mbit/);
  });

  it('adds link delay with netem, or says the kernel lacks it', () => {
    if (netemAvailable()) {
      lan.setLinkDelay(lan.nodes[0]!.ns, 20);
      expect(lan.execIn(lan.nodes[0]!.ns, 'tc', ['qdisc', 'show', 'dev', 'eth0'])).toMatch(/netem .*delay 20ms/);
      lan.setLinkDelay(lan.nodes[0]!.ns, 0);
    } else {
      expect(() => lan.setLinkDelay(lan.nodes[0]!.ns, 20)).toThrow(/netem qdisc \(kernel module sch_netem\)/);
    }
  });

  it('removes namespaces left by a run whose process is gone, and only those', () => {
    // pid 2^22+1 is above Linux's pid_max limit: no live process can have it.
    const stale = `phg${(1 << 22) + 1}xdead01-n0`;
    execFileSync('ip', ['netns', 'add', stale]);
    expect(namespaces()).toContain(stale);
    expect(removeStaleNamespaces()).toContain(stale);
    expect(namespaces()).not.toContain(stale);
    for (const n of lan.nodes) expect(namespaces()).toContain(n.ns);
  });
});
