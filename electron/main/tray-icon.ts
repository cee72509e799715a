import type { TrayState } from './tray-state.ts';

/** One colour per state (RGB), distinct for colour-blind owners too: the shape changes as well. */
export const STATE_COLOURS: Record<TrayState, readonly [number, number, number]> = {
  idle: [0x3a, 0x9b, 0x5c],
  hosting: [0x35, 0x58, 0xd4],
  paused: [0xc9, 0x8a, 0x12],
  offline: [0x80, 0x86, 0x90],
  error: [0xc6, 0x28, 0x28],
};

/**
 * The tray icon drawn in code (BGRA, for nativeImage.createFromBitmap): a disc in the state's
 * colour; paused shows two bars, offline a ring, error a bar across, hosting a filled centre dot.
 */
export function trayIconBitmap(state: TrayState, size: number): Buffer {
  const buf = Buffer.alloc(size * size * 4);
  const [r, g, b] = STATE_COLOURS[state];
  const c = (size - 1) / 2;
  const outer = size / 2 - 0.5;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dx = x - c;
      const dy = y - c;
      const d = Math.hypot(dx, dy);
      let on = d <= outer;
      let hole = false;
      if (on) {
        const u = dx / outer;
        const v = dy / outer;
        if (state === 'offline') hole = d < outer * 0.55;
        if (state === 'paused') hole = Math.abs(v) < 0.5 && ((u > -0.45 && u < -0.12) || (u > 0.12 && u < 0.45));
        if (state === 'error') hole = Math.abs(v) < 0.16 && Math.abs(u) < 0.6;
        if (state === 'hosting') hole = d > outer * 0.3 && d < outer * 0.5;
      }
      if (hole) on = false;
      const i = (y * size + x) * 4;
      if (on) {
        buf[i] = b;
        buf[i + 1] = g;
        buf[i + 2] = r;
        buf[i + 3] = 0xff;
      }
    }
  }
  return buf;
}
