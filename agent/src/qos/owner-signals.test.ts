import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createInterruptIdleSource, createPresenceStore, createSysfsBatterySource, firstIdleSource, inputInterrupts, parseLogindIdle } from './owner-signals.ts';

const IRQ = (kbd: number, mouse: number) => `           CPU0       CPU1
  0:         10          0   IO-APIC   2-edge      timer
  1:        ${kbd}          3   IO-APIC   1-edge      i8042
 12:        ${mouse}          0   IO-APIC  12-edge      i8042
 24:       9999       8888   PCI-MSI 65536-edge      nvme0q0
`;

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

describe('owner signals', () => {
  it('counts only input-device interrupt lines', () => {
    expect(inputInterrupts(IRQ(5, 7))).toBe(15);
    expect(inputInterrupts('  CPU0\n 0: 1 IO-APIC timer\n')).toBeNull();
  });

  it('idle time from input interrupts: a changed count is input', () => {
    let text = IRQ(5, 7);
    const src = createInterruptIdleSource(() => text);
    expect(src.idleSeconds(0).value).toBe(0);
    expect(src.idleSeconds(4000).value).toBe(4);
    text = IRQ(6, 7);
    expect(src.idleSeconds(5000)).toEqual({ value: 0, source: 'input-device interrupts' });
    expect(src.idleSeconds(8000).value).toBe(3);
  });

  it('degrades with the reasons when no source knows', () => {
    const none = createInterruptIdleSource(() => '  CPU0\n');
    const r = firstIdleSource([createPresenceStore().idle, none]).idleSeconds(0);
    expect(r.value).toBeNull();
    expect(r.source).toMatch(/desktop app has not reported.*no input-device interrupts/);
  });

  it('the desktop app\'s report ages with the clock; a locked screen is away', () => {
    const p = createPresenceStore();
    p.report({ idleSeconds: 10, onBattery: true }, 1000);
    expect(p.idle.idleSeconds(3000)).toEqual({ value: 12, source: 'desktop app' });
    expect(p.battery.onBattery()).toEqual({ value: true, source: 'desktop app' });
    p.report({ screenLocked: true }, 4000);
    expect(p.idle.idleSeconds(4000).value).toBe(Infinity);
    expect(p.away()).toBe(true);
  });

  it('reads logind\'s idle hint', () => {
    expect(parseLogindIdle('Type=x11\nIdleHint=no\nIdleSinceHintMonotonic=0\n', 5e6)).toBe(0);
    expect(parseLogindIdle('IdleHint=yes\nIdleSinceHintMonotonic=2000000\n', 5e6)).toBe(3);
    expect(parseLogindIdle('nothing\n', 5e6)).toBeNull();
  });

  it('battery from sysfs: mains online wins, a discharging battery without mains is battery', () => {
    const d = mkdtempSync(join(tmpdir(), 'ps-'));
    dirs.push(d);
    expect(createSysfsBatterySource(d).onBattery().value).toBeNull();
    mkdirSync(join(d, 'BAT0'));
    writeFileSync(join(d, 'BAT0/type'), 'Battery\n');
    writeFileSync(join(d, 'BAT0/status'), 'Discharging\n');
    expect(createSysfsBatterySource(d).onBattery().value).toBe(true);
    mkdirSync(join(d, 'AC'));
    writeFileSync(join(d, 'AC/type'), 'Mains\n');
    writeFileSync(join(d, 'AC/online'), '1\n');
    expect(createSysfsBatterySource(d).onBattery().value).toBe(false);
    expect(createSysfsBatterySource(join(d, 'missing')).onBattery().source).toMatch(/missing/);
  });
});
