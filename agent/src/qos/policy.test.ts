import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, DEFAULT_QOS_POLICY, type DonationLimits } from '../../../contract/index.ts';
import type { OwnerView } from './owner-classifier.ts';
import { createPressureTracker, decide, inSchedule } from './policy.ts';

const away: OwnerView = { state: 'away', since: 0, lastActiveAt: null, activeBecause: null, peakCpuPercent: 1, cpuPercent: 1 };
const active: OwnerView = { state: 'active', since: 0, lastActiveAt: 0, activeBecause: 'owner CPU 50% ≥ 10%', peakCpuPercent: 50, cpuPercent: 50 };
// Wednesday 2026-11-25 10:30 local time.
const wed1030 = new Date(2026, 10, 25, 10, 30).getTime();
const input = (limits: Partial<DonationLimits>, owner: OwnerView = away, extra: object = {}) => ({
  limits: { ...DEFAULT_LIMITS, ...limits }, policy: DEFAULT_QOS_POLICY, owner, idleSeconds: null, onBattery: null, paused: false, wallMs: wed1030, now: 60_000, ...extra,
});

describe('policy', () => {
  it('gives the donation while the owner is away, marked idle', () => {
    expect(decide(input({}))).toMatchObject({ mode: 'run', cpuPercent: 50, idle: true, pressure: false });
  });

  it('while the owner is active leaves their peak plus headroom free', () => {
    expect(decide(input({}, active))).toMatchObject({ mode: 'throttled', cpuPercent: 45, pressure: true });
    expect(decide(input({ cpuPercent: 30 }, active))).toMatchObject({ mode: 'throttled', cpuPercent: 30, pressure: false });
    expect(decide(input({}, { ...active, peakCpuPercent: 100 }))).toMatchObject({ cpuPercent: 0 });
  });

  it('pauses on battery, outside the schedule, when paused, and until idle long enough', () => {
    expect(decide(input({}, away, { onBattery: true }))).toMatchObject({ mode: 'paused', reason: 'on battery' });
    expect(decide(input({ pauseOnBattery: false }, away, { onBattery: true })).mode).toBe('run');
    expect(decide(input({ schedule: [{ days: [3], from: '18:00', to: '08:00' }] })).reason).toMatch(/schedule/);
    expect(decide(input({}, away, { paused: true })).cpuPercent).toBe(0);
    expect(decide(input({ onlyWhenIdleMinutes: 5 }, { ...away, lastActiveAt: 0 }, { now: 120_000 })).mode).toBe('paused');
    expect(decide(input({ onlyWhenIdleMinutes: 5 }, { ...away, lastActiveAt: 0 }, { now: 301_000, idleSeconds: 400 })).mode).toBe('run');
  });

  it('QoS off: the donation as set, no idle marking, no throttling', () => {
    expect(decide(input({ qos: false }, active))).toMatchObject({ mode: 'off', cpuPercent: 50, idle: false, pressure: false });
  });

  it('schedules: windows, weekdays and windows past midnight', () => {
    expect(inSchedule([], wed1030)).toBe(true);
    expect(inSchedule([{ days: [3], from: '09:00', to: '11:00' }], wed1030)).toBe(true);
    expect(inSchedule([{ days: [4], from: '09:00', to: '11:00' }], wed1030)).toBe(false);
    const thu0200 = new Date(2026, 10, 26, 2, 0).getTime();
    expect(inSchedule([{ days: [3], from: '22:00', to: '06:00' }], thu0200)).toBe(true);
    expect(inSchedule([{ days: [4], from: '22:00', to: '06:00' }], thu0200)).toBe(false);
  });

  it('asks to migrate once per stretch of pressure that lasts the policy time', () => {
    const p = createPressureTracker();
    expect(p.update(true, 0, 10_000)).toBe(false);
    expect(p.update(true, 9_999, 10_000)).toBe(false);
    expect(p.update(true, 10_000, 10_000)).toBe(true);
    expect(p.update(true, 20_000, 10_000)).toBe(false);
    expect(p.update(false, 21_000, 10_000)).toBe(false);
    expect(p.since).toBeNull();
    p.update(true, 22_000, 10_000);
    expect(p.update(true, 32_000, 10_000)).toBe(true);
  });
});
