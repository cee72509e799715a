import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../../contract/index.ts';
import { screenOf } from './route.ts';
import { preview } from '../screens/DonateScreen.tsx';
import { duration, gib } from './format.ts';

const machine = { cores: 4, cpuModel: 'x', memoryMiB: 16384, flops: 1, os: 'linux', arch: 'x64' };

describe('routing', () => {
  it('maps hashes to screens, unknown ones to the overview', () => {
    expect(screenOf('#/donate')).toBe('donate');
    expect(screenOf('#/popover')).toBe('popover');
    expect(screenOf('#/settings?x=1')).toBe('settings');
    expect(screenOf('')).toBe('status');
    expect(screenOf('#/../../etc')).toBe('status');
  });
});

describe('donation preview', () => {
  it('says what guests get in words', () => {
    const lines = preview({ ...DEFAULT_LIMITS, cpuPercent: 50, cores: [0, 1] }, machine);
    expect(lines[0]).toBe('CPU: up to 1.0 core of work (50% of 2 cores)');
    expect(lines[1]).toBe('Memory: 4.0 GiB (25% of this machine)');
    expect(lines[3]).toMatch(/any time.*never on battery/);
    const dedicated = preview({ ...DEFAULT_LIMITS, qos: false, memoryMiB: 2048, onlyWhenIdleMinutes: 5, schedule: [{ days: [1], from: '08:00', to: '09:00' }] }, machine);
    expect(dedicated[1]).toBe('Memory: 2.0 GiB');
    expect(dedicated[3]).toMatch(/1 time window a week, after you have been away 5 min/);
    expect(dedicated[4]).toMatch(/Dedicated/);
  });
  it('formats sizes and durations', () => {
    expect(gib(10240)).toBe('10 GiB');
    expect(gib(1536)).toBe('1.5 GiB');
    expect(duration(59)).toBe('59 s');
    expect(duration(3720)).toBe('1 h 2 min');
  });
});
