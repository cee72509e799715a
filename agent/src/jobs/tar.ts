/**
 * Reads a POSIX ustar archive (what busybox `tar c` writes in the guest), with GNU long names.
 * Regular files only; directories, links and devices are skipped — a job's results are files.
 */
export interface TarEntry {
  readonly path: string;
  readonly content: Buffer;
}

const field = (b: Buffer, off: number, len: number) => {
  const s = b.subarray(off, off + len);
  const end = s.indexOf(0);
  return s.subarray(0, end < 0 ? len : end).toString('utf8');
};
const octal = (b: Buffer, off: number, len: number) => {
  const s = field(b, off, len).trim();
  return s === '' ? 0 : parseInt(s, 8);
};

export function readTar(buf: Buffer): TarEntry[] {
  const out: TarEntry[] = [];
  let off = 0;
  let longName: string | null = null;
  while (off + 512 <= buf.length) {
    const h = buf.subarray(off, off + 512);
    if (h.every((x) => x === 0)) break;
    const size = octal(h, 124, 12);
    if (!Number.isSafeInteger(size) || off + 512 + size > buf.length) throw new Error(`tar entry at ${off} runs past the end of the archive`);
    const type = String.fromCharCode(h[156]!);
    const prefix = field(h, 257, 6) === 'ustar' ? field(h, 345, 155) : '';
    const name = longName ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100));
    const data = buf.subarray(off + 512, off + 512 + size);
    longName = null;
    if (type === 'L') longName = field(data, 0, data.length);
    else if (type === '0' || type === '\0') out.push({ path: name, content: Buffer.from(data) });
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}
