// RFC 2136 dynamic updates, signed with TSIG, sent by BIND's `nsupdate` (Debian bind9-dnsutils,
// bind-utils elsewhere). Driving the reference client keeps the wire format and TSIG signing out of
// our code; the secret goes in on stdin, never on the command line where `ps` would show it.
import { spawn } from 'node:child_process';
import { z } from 'zod';
import type { Logger } from '../log.ts';

const Label = /^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$/;
const DnsName = z.string().min(1).max(253).refine(
  (n) => (n.endsWith('.') ? n.slice(0, -1) : n).split('.').every((l) => Label.test(l)),
  'not a DNS name (labels of letters, digits, "-" or "_", 1–63 characters)',
);
// One TXT character-string; printable ASCII so nothing can break out of the nsupdate script line.
const TxtString = z.string().max(255).regex(/^[\x20-\x7e]*$/, 'TXT strings are printable ASCII');

export const DnsPublisherOptions = z.object({
  server: z.string().min(1).max(253),
  port: z.number().int().min(1).max(65535).default(53),
  zone: DnsName,
  keyName: DnsName,
  keySecret: z.string().min(16).max(200).regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64'),
  algorithm: z.enum(['hmac-sha256', 'hmac-sha512', 'hmac-sha384', 'hmac-sha224', 'hmac-sha1', 'hmac-md5']).default('hmac-sha256'),
  /** Whole update, including retries, fails after this long. */
  timeoutMs: z.number().int().min(100).max(120_000).default(5000),
  nsupdatePath: z.string().min(1).default('nsupdate'),
});
export type DnsPublisherOptionsInput = z.input<typeof DnsPublisherOptions>;

export const DnsRecords = z.object({
  /** Each entry is one TXT record of one character-string (e.g. `dnsaddr=/ip4/…/tcp/…/p2p/…`). */
  txt: z.array(TxtString).max(20).optional(),
  srv: z.array(z.object({
    priority: z.number().int().min(0).max(65535).default(0),
    weight: z.number().int().min(0).max(65535).default(0),
    port: z.number().int().min(1).max(65535),
    target: DnsName,
  })).max(20).optional(),
  a: z.array(z.ipv4()).max(20).optional(),
  ttl: z.number().int().min(0).max(86_400).default(30),
}).refine((r) => r.txt !== undefined || r.srv !== undefined || r.a !== undefined, 'give at least one of txt, srv, a');
export type DnsRecordsInput = z.input<typeof DnsRecords>;

export type DnsUpdateErrorCode = 'REFUSED' | 'NOTAUTH' | 'BADSIG' | 'BADKEY' | 'BADTIME' | 'NOTZONE' | 'SERVFAIL' | 'TIMEOUT' | 'UNREACHABLE' | 'NO_NSUPDATE' | 'FAILED';

export class DnsUpdateError extends Error {
  readonly code: DnsUpdateErrorCode;
  constructor(code: DnsUpdateErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DnsUpdateError';
    this.code = code;
  }
}

export interface DnsPublisher {
  readonly zone: string;
  /**
   * Replaces every record type given in `records` at `name` (relative to the zone or absolute) in one
   * UPDATE message: the server applies the deletes and adds together or not at all.
   */
  publish(name: string, records: DnsRecordsInput): Promise<void>;
  /** Deletes the given record types (all of TXT, SRV, A when omitted) at `name`. */
  remove(name: string, types?: ReadonlyArray<'TXT' | 'SRV' | 'A'>): Promise<void>;
}

export function createDnsPublisher(input: DnsPublisherOptionsInput & { log: Logger }): DnsPublisher {
  const parsed = DnsPublisherOptions.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`DNS publisher option ${issue.path.join('.') || '(options)'}: ${issue.message}`);
  }
  const opts = parsed.data;
  const zone = fqdn(opts.zone);
  const log = input.log;

  const absolute = (name: string): string => {
    const n = DnsName.safeParse(name);
    if (!n.success) throw new Error(`DNS name "${name.slice(0, 80)}": ${n.error.issues[0]!.message}`);
    const abs = name.endsWith('.') ? name : `${name}.${zone}`;
    if (abs.toLowerCase() !== zone.toLowerCase() && !abs.toLowerCase().endsWith(`.${zone.toLowerCase()}`)) {
      throw new Error(`DNS name ${abs} is outside the zone ${zone}`);
    }
    return abs;
  };

  const header = (): string[] => [
    `server ${opts.server} ${opts.port}`,
    `zone ${zone}`,
    `key ${opts.algorithm}:${fqdn(opts.keyName)} ${opts.keySecret}`,
  ];

  const send = async (name: string, lines: string[], what: string): Promise<void> => {
    const script = [...header(), ...lines, 'send', ''].join('\n');
    const started = Date.now();
    await runNsupdate(opts.nsupdatePath, opts.timeoutMs, script, `${what} ${name} on ${opts.server}:${opts.port}`);
    log.info({ name, what, ms: Date.now() - started }, 'DNS update applied');
  };

  return {
    zone,
    async publish(name, recordsInput) {
      const abs = absolute(name);
      const r = DnsRecords.safeParse(recordsInput);
      if (!r.success) {
        const issue = r.error.issues[0]!;
        throw new Error(`DNS records for ${abs}: ${issue.path.join('.') || '(records)'}: ${issue.message}`);
      }
      const { ttl, txt, srv, a } = r.data;
      const lines: string[] = [];
      if (txt) {
        lines.push(`update delete ${abs} TXT`);
        for (const s of txt) lines.push(`update add ${abs} ${ttl} TXT "${s.replace(/[\\"]/g, '\\$&')}"`);
      }
      if (srv) {
        lines.push(`update delete ${abs} SRV`);
        for (const s of srv) lines.push(`update add ${abs} ${ttl} SRV ${s.priority} ${s.weight} ${s.port} ${fqdn(s.target)}`);
      }
      if (a) {
        lines.push(`update delete ${abs} A`);
        for (const ip of a) lines.push(`update add ${abs} ${ttl} A ${ip}`);
      }
      await send(abs, lines, 'publish');
    },
    async remove(name, types = ['TXT', 'SRV', 'A']) {
      const abs = absolute(name);
      await send(abs, types.map((t) => `update delete ${abs} ${t}`), 'remove');
    },
  };
}

function fqdn(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

function runNsupdate(path: string, timeoutMs: number, script: string, what: string): Promise<void> {
  // -v: TCP, so a dead server shows as refused/timeout instead of silent UDP retries; -t bounds
  // the whole exchange. A kill timer backs -t up in case nsupdate itself hangs.
  const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
  return new Promise((resolve, reject) => {
    const proc = spawn(path, ['-v', '-t', String(seconds), '-u', String(Math.max(1, Math.floor(seconds / 2))), '-r', '1'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
    let timedOut = false;
    const killer = setTimeout(() => {
      timedOut = true;
      proc.kill('SIGKILL');
    }, timeoutMs + 2000);
    proc.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(killer);
      reject(err.code === 'ENOENT'
        ? new DnsUpdateError('NO_NSUPDATE', `${what}: ${path} not found; install BIND's nsupdate (Debian: bind9-dnsutils)`, { cause: err })
        : new DnsUpdateError('FAILED', `${what}: could not run ${path}: ${err.message}`, { cause: err }));
    });
    proc.once('close', (code) => {
      clearTimeout(killer);
      if (code === 0 && !timedOut) return resolve();
      const code2 = timedOut ? 'TIMEOUT' : classify(out);
      reject(new DnsUpdateError(code2, `${what} failed (${code2}): ${out.trim().split('\n').slice(-2).join('; ') || `nsupdate exited ${code}`}`));
    });
    proc.stdin.on('error', () => {
      // nsupdate died before reading its script; 'close' reports why.
    });
    proc.stdin.end(script);
  });
}

function classify(out: string): DnsUpdateErrorCode {
  const m = /update failed: ([A-Z]+)(?:\(([A-Z]+)\))?/.exec(out);
  if (m) {
    const detail = m[2] as DnsUpdateErrorCode | undefined;
    if (detail === 'BADSIG' || detail === 'BADKEY' || detail === 'BADTIME') return detail;
    if (m[1] === 'REFUSED' || m[1] === 'NOTAUTH' || m[1] === 'NOTZONE' || m[1] === 'SERVFAIL') return m[1];
    return 'FAILED';
  }
  if (/timed out/i.test(out)) return 'TIMEOUT';
  if (/connection refused|operation canceled|network unreachable|host unreachable|couldn't get address/i.test(out)) return 'UNREACHABLE';
  return 'FAILED';
}
