// Draws the app icon (a rounded tile with a 3×3 grid of nodes, one lit) into PNGs at every size the
// packagers ask for: build/icon.png (1024, electron-builder derives .icns/.ico from it) and
// build/icons/NxN.png (Linux). Run: node build/make-icons.ts. Deterministic: reruns give equal bytes.
import { mkdirSync, writeFileSync } from 'node:fs';
import { crc32, deflateSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

type RGBA = readonly [number, number, number, number];
const TILE: RGBA = [0x35, 0x58, 0xd4, 255];
const NODE: RGBA = [0xff, 0xff, 0xff, 235];
const LIT: RGBA = [0x7d, 0xe3, 0xa0, 255];

/** Coverage of one point of the unit square: which colour, if any, is there. */
function sample(u: number, v: number): RGBA | null {
  const r = 0.2;
  const inset = 0.04;
  const cx = Math.min(Math.max(u, inset + r), 1 - inset - r);
  const cy = Math.min(Math.max(v, inset + r), 1 - inset - r);
  if (Math.hypot(u - cx, v - cy) > r) return null;
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      const x = 0.27 + i * 0.23;
      const y = 0.27 + j * 0.23;
      if (Math.hypot(u - x, v - y) < 0.075) return i === 1 && j === 1 ? LIT : NODE;
    }
  }
  return TILE;
}

export function drawIcon(size: number): Buffer {
  const ss = 4;
  const rgba = Buffer.alloc(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < ss; sy++) {
        for (let sx = 0; sx < ss; sx++) {
          const c = sample((x + (sx + 0.5) / ss) / size, (y + (sy + 0.5) / ss) / size);
          if (!c) continue;
          r += c[0] * c[3]; g += c[1] * c[3]; b += c[2] * c[3]; a += c[3];
        }
      }
      const i = (y * size + x) * 4;
      if (a > 0) {
        rgba[i] = Math.round(r / a);
        rgba[i + 1] = Math.round(g / a);
        rgba[i + 2] = Math.round(b / a);
        rgba[i + 3] = Math.round(a / (ss * ss));
      }
    }
  }
  return rgba;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

export function encodePng(rgba: Buffer, size: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) rgba.copy(rows, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = fileURLToPath(new URL('.', import.meta.url));
  mkdirSync(`${dir}icons`, { recursive: true });
  writeFileSync(`${dir}icon.png`, encodePng(drawIcon(1024), 1024));
  for (const s of [16, 32, 48, 64, 128, 256, 512]) writeFileSync(`${dir}icons/${s}x${s}.png`, encodePng(drawIcon(s), s));
}
