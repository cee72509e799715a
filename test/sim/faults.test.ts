import { describe, expect, it } from 'vitest';
import { defaultFaults, FaultSyntaxError, parseFaults } from '../../agent/src/sim/faults.ts';

describe('fault syntax', () => {
  it('parses every kind of fault', () => {
    expect(parseFaults('loss=0.01,sp-crash@10m,rp-crash@90s,crash@1h x3,partition@30m+2m:site,restart=never'.replace(' x', 'x'))).toEqual({
      loss: 0.01,
      restartMs: null,
      events: [
        { kind: 'rp-crash', at: 90_000 },
        { kind: 'sp-crash', at: 600_000 },
        { kind: 'partition', at: 1_800_000, dur: 120_000, scope: 'site' },
        { kind: 'crash', at: 3_600_000, n: 3 },
      ],
    });
    expect(parseFaults('partition@5m+30s').events[0]).toMatchObject({ scope: 'region' });
  });

  it.each([
    ['loss=2', /loss must be a probability/],
    ['sp-crash@soon', /not a duration/],
    ['meteor@5m', /"meteor@5m" is not a fault/],
    ['partition@5m', /not a fault/],
  ])('rejects %s naming the item', (spec, msg) => {
    expect(() => parseFaults(spec)).toThrow(FaultSyntaxError);
    expect(() => parseFaults(spec)).toThrow(msg);
  });

  it('the default plan crashes a super-peer and a region peer and heals a partition, under loss', () => {
    const p = defaultFaults(3_600_000);
    expect(p.loss).toBeGreaterThan(0);
    expect(p.events.map((e) => e.kind)).toEqual(['sp-crash', 'rp-crash', 'partition']);
  });
});
