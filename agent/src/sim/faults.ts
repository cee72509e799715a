// The fault language of `phantom sim --faults` (documented in FAULT_HELP, parsed here).
export type FaultEvent =
  | { kind: 'sp-crash'; at: number }
  | { kind: 'rp-crash'; at: number }
  | { kind: 'crash'; at: number; n: number }
  | { kind: 'partition'; at: number; dur: number; scope: 'region' | 'site' };

export interface FaultPlan {
  loss: number;
  /** Crashed nodes come back (empty memory, one more failure in their history) after this; null: never. */
  restartMs: number | null;
  events: FaultEvent[];
}

export const FAULT_HELP = `Fault syntax (--faults), comma-separated items:
  loss=P                       lose each message with probability P (0–0.5), e.g. loss=0.005
  sp-crash@T                   crash one super-peer that is not a region peer at time T
  rp-crash@T                   crash one region peer at time T
  crash@T[xN]                  crash N random nodes at time T (default 1)
  partition@T+D[:region|:site] cut one region off from the rest (default), or split one site's LAN
                               in two, at time T; it heals after D
  restart=D|never              crashed nodes restart after D (default 60s) with an empty memory
Times: 1500ms, 90s, 5m, 1h. Example: loss=0.01,sp-crash@10m,rp-crash@20m,partition@30m+2m:site
Without --faults: loss=0.005, a super-peer crash at 25%, a region-peer crash at 40% and a
region partition from 55% lasting 5% of the run.`;

export class FaultSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaultSyntaxError';
  }
}

export function parseDuration(s: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(s.trim());
  if (!m) throw new FaultSyntaxError(`${what}: "${s}" is not a duration (e.g. 1500ms, 90s, 5m, 1h)`);
  const n = Number(m[1]);
  return Math.round(n * { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h']);
}

export function parseFaults(spec: string): FaultPlan {
  const plan: FaultPlan = { loss: 0, restartMs: 60_000, events: [] };
  for (const raw of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    let m: RegExpExecArray | null;
    if ((m = /^loss=(.+)$/.exec(raw))) {
      const p = Number(m[1]);
      if (!Number.isFinite(p) || p < 0 || p > 0.5) throw new FaultSyntaxError(`${raw}: loss must be a probability between 0 and 0.5`);
      plan.loss = p;
    } else if ((m = /^restart=(.+)$/.exec(raw))) {
      plan.restartMs = m[1] === 'never' ? null : parseDuration(m[1]!, raw);
    } else if ((m = /^(sp-crash|rp-crash)@(.+)$/.exec(raw))) {
      plan.events.push({ kind: m[1] as 'sp-crash' | 'rp-crash', at: parseDuration(m[2]!, raw) });
    } else if ((m = /^crash@([^x]+)(?:x(\d+))?$/.exec(raw))) {
      plan.events.push({ kind: 'crash', at: parseDuration(m[1]!, raw), n: m[2] ? Number(m[2]) : 1 });
    } else if ((m = /^partition@([^+]+)\+([^:]+)(?::(region|site))?$/.exec(raw))) {
      plan.events.push({ kind: 'partition', at: parseDuration(m[1]!, raw), dur: parseDuration(m[2]!, raw), scope: (m[3] as 'region' | 'site' | undefined) ?? 'region' });
    } else {
      throw new FaultSyntaxError(`"${raw}" is not a fault (see phantom sim --help)`);
    }
  }
  plan.events.sort((a, b) => a.at - b.at);
  return plan;
}

export function defaultFaults(durationMs: number): FaultPlan {
  return {
    loss: 0.005,
    restartMs: 60_000,
    events: [
      { kind: 'sp-crash', at: Math.round(durationMs * 0.25) },
      { kind: 'rp-crash', at: Math.round(durationMs * 0.4) },
      { kind: 'partition', at: Math.round(durationMs * 0.55), dur: Math.round(durationMs * 0.05), scope: 'region' },
    ],
  };
}
