// A private BIND 9 on 127.0.0.1:<free port> for the region-peer name tests: one primary zone that
// accepts RFC 2136 updates signed with one TSIG key. Everything it writes lives in its own temp dir.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

export interface DnsServer {
  /** The first address it listens on. */
  readonly host: string;
  readonly port: number;
  /** Fully qualified, with the trailing dot. */
  readonly zone: string;
  readonly keyName: string;
  /** Base64 HMAC secret. */
  readonly keySecret: string;
  readonly algorithm: 'hmac-sha256';
  /** What named printed so far (it logs to stderr with -g). */
  output(): string;
  stop(): Promise<void>;
}

export interface DnsServerOptions {
  readonly zone?: string;
  readonly keyName?: string;
  readonly startTimeoutMs?: number;
  /** Run inside this network namespace (on port 53 of `listen`) instead of on loopback. */
  readonly netns?: string;
  readonly listen?: readonly string[];
}

export async function startDnsServer(opts: DnsServerOptions = {}): Promise<DnsServer> {
  const zone = withDot(opts.zone ?? 'grid.test');
  const keyName = opts.keyName ?? 'phantom-update';
  const keySecret = randomBytes(32).toString('base64');
  const dir = mkdtempSync(join(tmpdir(), 'phantom-named-'));
  // Another test may grab the port between probe and bind: named then exits, and we try another one.
  const listen = opts.listen ?? ['127.0.0.1'];
  for (let attempt = 0; ; attempt++) {
    // A fresh namespace has every port free; on the shared loopback, pick one.
    const port = opts.netns ? 53 : await freePort();
    writeConfig(dir, port, zone, keyName, keySecret, listen);
    const args = ['-g', '-c', join(dir, 'named.conf'), '-p', String(port)];
    const proc = opts.netns
      ? spawn('ip', ['netns', 'exec', opts.netns, 'named', ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
      : spawn('named', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let out = '';
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    try {
      await waitUntilServing(proc, listen[0]!, port, zone, opts.startTimeoutMs ?? 20_000, () => out, opts.netns);
    } catch (err) {
      proc.kill('SIGKILL');
      await exited;
      if (attempt < 3 && /address in use/i.test(out)) continue;
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    // A test process that dies without stop() must not leave named running on the host.
    const killOnExit = () => proc.kill('SIGKILL');
    process.once('exit', killOnExit);
    void exited.then(() => process.off('exit', killOnExit));
    return {
      host: listen[0]!, port, zone, keyName, keySecret, algorithm: 'hmac-sha256',
      output: () => out,
      async stop() {
        if (proc.exitCode === null && proc.signalCode === null) {
          proc.kill('SIGTERM');
          const killer = setTimeout(() => proc.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(killer);
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}

function withDot(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

function writeConfig(dir: string, port: number, zone: string, keyName: string, secret: string, listen: readonly string[]): void {
  // `controls {}` keeps named off the shared rndc port 953, so parallel servers never collide.
  writeFileSync(join(dir, 'named.conf'), `
options {
  directory "${dir}";
  pid-file "${join(dir, 'named.pid')}";
  session-keyfile "${join(dir, 'session.key')}";
  managed-keys-directory "${dir}";
  listen-on port ${port} { ${listen.map((a) => `${a};`).join(' ')} };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
  notify no;
  allow-query { any; };
};
controls { };
key "${keyName}" { algorithm hmac-sha256; secret "${secret}"; };
zone "${zone}" {
  type primary;
  file "${join(dir, 'zone.db')}";
  update-policy { grant ${keyName} zonesub ANY; };
};
`);
  writeFileSync(join(dir, 'zone.db'), `$TTL 60
@ IN SOA ns.${zone} hostmaster.${zone} ( 1 60 60 600 5 )
@ IN NS ns.${zone}
ns IN A 127.0.0.1
`);
}

async function waitUntilServing(proc: ChildProcess, host: string, port: number, zone: string, timeoutMs: number, out: () => string, netns?: string): Promise<void> {
  const resolver = new Resolver({ timeout: 300, tries: 1 });
  resolver.setServers([`${host}:${port}`]);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`named exited (${proc.exitCode ?? proc.signalCode}):\n${out().slice(-2000)}`);
    // Inside a namespace only a client in that namespace can ask.
    if (netns) {
      const r = spawnSync('ip', ['netns', 'exec', netns, 'dig', '+short', '+time=1', '+tries=1', `@${host}`, '-p', String(port), 'SOA', zone], { encoding: 'utf8' });
      if (r.status === 0 && r.stdout.trim()) return;
    } else {
      try {
        await resolver.resolveSoa(zone.slice(0, -1));
        return;
      } catch {
        // not up yet
      }
    }
    if (Date.now() > deadline) throw new Error(`named did not answer on 127.0.0.1:${port} within ${timeoutMs} ms:\n${out().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A port free for both TCP and UDP on 127.0.0.1 right now (DNS listens on both). */
async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const { port: p } = srv.address() as { port: number };
        srv.close(() => resolve(p));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const sock = createSocket('udp4');
      sock.once('error', () => resolve(false));
      sock.bind(port, '127.0.0.1', () => sock.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
}
