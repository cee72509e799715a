// A private LAN made of network namespaces: a "switch" namespace holding a bridge, one namespace per
// node joined to it by a veth pair, addresses handed out by a real DHCP exchange (dnsmasq in the
// switch, busybox udhcpc in each node). Nothing is created in, or attached to, the root namespace:
// every veth is created directly inside the switch namespace with its peer moved straight into the
// node namespace, so the host's interfaces (whose eth0 reaches a real network) are never involved.
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pidAlive } from '../../agent/src/process-alive.ts';

/** Every namespace we create is named `phg<creator pid>x<random>-<role>`; the pid finds leftovers. */
const PREFIX = 'phg';
const NAME = /^phg(\d+)x[0-9a-f]+-/;
const subnet = (site: number) => `10.77.${site}`;
const NODE_IF = 'eth0';

export interface NetnsNode {
  /** Namespace name. */
  readonly ns: string;
  /** Address DHCP gave this node. */
  readonly ip: string;
  /** The node's interface inside its namespace. */
  readonly ifname: string;
  /** Its veth peer inside the switch namespace. */
  readonly switchPort: string;
  /** Which LAN (bridge) it is on; the switch namespace routes between LANs, multicast stays inside one. */
  readonly site: number;
  /** The switch namespace's address on this node's LAN: its default route. */
  readonly gateway: string;
}

export interface NetnsLan {
  readonly switchNs: string;
  /** The switch namespace's address on LAN 0 (on LAN i: 10.77.i.1). */
  readonly bridgeIp: string;
  readonly nodes: readonly NetnsNode[];
  /** Starts `cmd args` inside `ns` (via `ip netns exec`); the process is ended by destroy(). */
  spawnIn(ns: string, cmd: string, args: readonly string[], opts?: SpawnOptions): ChildProcess;
  /** Runs `cmd args` inside `ns` to completion; throws with its stderr on a non-zero exit. */
  execIn(ns: string, cmd: string, args: readonly string[]): string;
  /**
   * One-way delay in each direction on a node's link (qdisc on both veth ends, so the RTT between
   * two delayed nodes is 2·(a+b)). Needs the kernel's sch_netem; throws naming it when it is missing.
   */
  setLinkDelay(ns: string, ms: number): void;
  /** Rate limit in each direction on a node's link (tbf), e.g. '10mbit'; null removes it. */
  setLinkRate(ns: string, rate: string | null): void;
  destroy(): void;
}

export interface NetnsLanOptions {
  /** One LAN with this many nodes… */
  readonly nodes?: number;
  /** …or several LANs (sites), routed to each other by the switch namespace: nodes per site. */
  readonly sites?: readonly number[];
  /** Seconds to wait for each node's DHCP lease. */
  readonly dhcpTimeoutS?: number;
}

function ip(args: readonly string[]): string {
  return run('ip', args);
}

function run(cmd: string, args: readonly string[]): string {
  try {
    return execFileSync(cmd, [...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${(e.stderr ?? '').trim() || e.message}`, { cause: err });
  }
}


function listNamespaces(): string[] {
  return ip(['netns', 'list']).split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);
}

/** Kills what still runs inside `ns` (only our own namespaces get here) and deletes it. */
function deleteNamespace(ns: string): void {
  try {
    for (const pid of ip(['netns', 'pids', ns]).split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  } catch {
    // the namespace may be half-created
  }
  try {
    ip(['netns', 'del', ns]);
  } catch {
    // already deleted
  }
}

/** Removes namespaces left by test runs whose process died without cleaning up (crash, SIGKILL). */
export function removeStaleNamespaces(): string[] {
  const removed: string[] = [];
  for (const ns of listNamespaces()) {
    const m = NAME.exec(ns);
    if (m && !pidAlive(Number(m[1]))) {
      deleteNamespace(ns);
      removed.push(ns);
    }
  }
  return removed;
}

/** True when this kernel has the netem qdisc (many VM kernels do not). */
export function netemAvailable(): boolean {
  const probe = `${PREFIX}${process.pid}x${randomBytes(3).toString('hex')}-probe`;
  try {
    ip(['netns', 'add', probe]);
    ip(['-n', probe, 'link', 'set', 'lo', 'up']);
    run('ip', ['netns', 'exec', probe, 'tc', 'qdisc', 'replace', 'dev', 'lo', 'root', 'netem', 'delay', '1ms']);
    return true;
  } catch {
    return false;
  } finally {
    deleteNamespace(probe);
  }
}

const UDHCPC_SCRIPT = `#!/bin/sh
# Applies a busybox udhcpc lease the way a distribution's default script would.
case "$1" in
  deconfig)
    ip addr flush dev "$interface"
    ip link set "$interface" up
    ;;
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/\${mask:-24}" dev "$interface"
    [ -n "$router" ] && ip route replace default via "\${router%% *}" dev "$interface"
    echo "$ip" > "$LEASE_OUT"
    ;;
esac
exit 0
`;

export async function createNetnsLan(opts: NetnsLanOptions): Promise<NetnsLan> {
  removeStaleNamespaces();
  const tag = `${PREFIX}${process.pid}x${randomBytes(3).toString('hex')}`;
  const switchNs = `${tag}-sw`;
  const dir = mkdtempSync(join(tmpdir(), 'phantom-netns-'));
  const created: string[] = [];
  const children = new Set<ChildProcess>();
  const nodes: NetnsNode[] = [];
  const shaping = new Map<string, { delayMs: number; rate: string | null }>();
  let destroyed = false;

  const destroy = (): void => {
    if (destroyed) return;
    destroyed = true;
    process.off('exit', destroy);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    // Node namespaces first: deleting the switch then takes the bridge and the veth ends with it.
    for (const ns of [...created].reverse()) deleteNamespace(ns);
    rmSync(dir, { recursive: true, force: true });
  };
  const onSignal = (sig: NodeJS.Signals): void => {
    destroy();
    process.kill(process.pid, sig);
  };
  process.once('exit', destroy);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const spawnIn = (ns: string, cmd: string, args: readonly string[], spawnOpts: SpawnOptions = {}): ChildProcess => {
    // `ip netns exec` setns()es and then execs cmd, so the pid we hold is cmd's own.
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...spawnOpts });
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  };

  try {
    const sites = opts.sites ?? [opts.nodes ?? 0];
    if (sites.length < 1 || sites.length > 8 || sites.some((n) => !Number.isInteger(n) || n < 0 || n > 60)) throw new Error(`bad LAN layout ${JSON.stringify(sites)}`);
    ip(['netns', 'add', switchNs]);
    created.push(switchNs);
    ip(['-n', switchNs, 'link', 'set', 'lo', 'up']);
    // This namespace's own forwarding switch (the root namespace's is untouched): sites reach each other.
    run('ip', ['netns', 'exec', switchNs, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
    sites.forEach((_, site) => {
      // Snooping off: with no multicast querier on this LAN, mDNS must simply flood to every port.
      ip(['-n', switchNs, 'link', 'add', `br${site}`, 'type', 'bridge', 'mcast_snooping', '0']);
      ip(['-n', switchNs, 'addr', 'add', `${subnet(site)}.1/24`, 'dev', `br${site}`]);
      ip(['-n', switchNs, 'link', 'set', `br${site}`, 'up']);
    });

    const dnsmasq = spawnIn(switchNs, 'dnsmasq', [
      '--keep-in-foreground', '--conf-file=/dev/null', '--port=0', '--user=root', '--group=root',
      // --no-ping: the address check blocks dnsmasq for 3 s per offer, starving parallel clients.
      '--bind-interfaces', '--dhcp-authoritative', '--no-ping', '--log-facility=-',
      ...sites.flatMap((_, site) => [`--interface=br${site}`, `--dhcp-range=${subnet(site)}.10,${subnet(site)}.200,255.255.255.0,1h`]),
      `--dhcp-leasefile=${join(dir, 'dnsmasq.leases')}`, `--pid-file=${join(dir, 'dnsmasq.pid')}`,
    ]);
    let dnsmasqErr = '';
    dnsmasq.stderr!.on('data', (d: Buffer) => (dnsmasqErr += d.toString()));

    const script = join(dir, 'udhcpc.sh');
    writeFileSync(script, UDHCPC_SCRIPT);
    chmodSync(script, 0o755);

    sites.forEach((count, site) => {
      for (let j = 0; j < count; j++) {
        const i = nodes.length;
        const ns = `${tag}-n${i}`;
        const port = `p${i}`;
        ip(['netns', 'add', ns]);
        created.push(ns);
        ip(['-n', ns, 'link', 'set', 'lo', 'up']);
        ip(['-n', switchNs, 'link', 'add', port, 'type', 'veth', 'peer', 'name', NODE_IF, 'netns', ns]);
        ip(['-n', switchNs, 'link', 'set', port, 'master', `br${site}`]);
        ip(['-n', switchNs, 'link', 'set', port, 'up']);
        ip(['-n', ns, 'link', 'set', NODE_IF, 'up']);
        nodes.push({ ns, ip: '', ifname: NODE_IF, switchPort: port, site, gateway: `${subnet(site)}.1` });
      }
    });

    // All leases in parallel: each udhcpc retries DISCOVER until dnsmasq (starting meanwhile) answers.
    const timeoutS = opts.dhcpTimeoutS ?? 20;
    await Promise.all(nodes.map(async (node, i) => {
      const leaseOut = join(dir, `lease-${i}`);
      const client = spawnIn(node.ns, 'busybox', ['udhcpc', '-f', '-q', '-n', '-i', NODE_IF, '-s', script, '-t', String(timeoutS), '-T', '1', '-A', '1'], {
        env: { ...process.env, LEASE_OUT: leaseOut },
      });
      let out = '';
      client.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      client.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      const code = await new Promise<number | null>((resolve) => client.once('exit', (c) => resolve(c)));
      if (code !== 0 || !existsSync(leaseOut)) {
        throw new Error(`no DHCP lease for ${node.ns} (udhcpc exited ${code}): ${out.trim().slice(-500)}; dnsmasq: ${dnsmasqErr.trim().slice(-8000)}`);
      }
      const leased = readFileSync(leaseOut, 'utf8').trim();
      nodes[i] = { ...node, ip: leased };
      // No default route on this LAN: multicast (mDNS) needs a route of its own to leave eth0.
      ip(['-n', node.ns, 'route', 'add', '224.0.0.0/4', 'dev', NODE_IF]);
    }));
  } catch (err) {
    destroy();
    throw err;
  }

  const nodeOf = (ns: string): NetnsNode => {
    const n = nodes.find((x) => x.ns === ns);
    if (!n) throw new Error(`${ns} is not a node namespace of this LAN`);
    return n;
  };

  const applyShaping = (node: NetnsNode): void => {
    const s = shaping.get(node.ns) ?? { delayMs: 0, rate: null };
    for (const [ns, dev] of [[node.ns, node.ifname], [switchNs, node.switchPort]] as const) {
      let qdisc: string[] | null = null;
      if (s.delayMs > 0) qdisc = ['netem', 'delay', `${s.delayMs}ms`, ...(s.rate ? ['rate', s.rate] : []), 'limit', '10000'];
      else if (s.rate) qdisc = ['tbf', 'rate', s.rate, 'burst', '32kbit', 'latency', '400ms'];
      if (qdisc) {
        try {
          run('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'replace', 'dev', dev, 'root', ...qdisc]);
        } catch (err) {
          if (qdisc[0] === 'netem' && /unknown/i.test((err as Error).message)) {
            throw new Error('link delay needs the netem qdisc (kernel module sch_netem), which this kernel lacks', { cause: err });
          }
          throw err;
        }
      } else {
        try {
          run('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'del', 'dev', dev, 'root']);
        } catch {
          // nothing installed
        }
      }
    }
  };

  return {
    switchNs,
    bridgeIp: `${subnet(0)}.1`,
    nodes,
    spawnIn,
    execIn: (ns, cmd, args) => run('ip', ['netns', 'exec', ns, cmd, ...args]),
    setLinkDelay(ns, ms) {
      if (!Number.isFinite(ms) || ms < 0 || ms > 10_000) throw new Error(`link delay ${ms} ms is out of range 0–10000`);
      const node = nodeOf(ns);
      shaping.set(ns, { rate: shaping.get(ns)?.rate ?? null, delayMs: ms });
      applyShaping(node);
    },
    setLinkRate(ns, rate) {
      if (rate !== null && !/^\d+(\.\d+)?(bit|kbit|mbit|gbit)$/.test(rate)) throw new Error(`link rate "${rate}" is not like 10mbit`);
      const node = nodeOf(ns);
      shaping.set(ns, { delayMs: shaping.get(ns)?.delayMs ?? 0, rate });
      applyShaping(node);
    },
    destroy,
  };
}
