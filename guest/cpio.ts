// A newc ("070701") cpio writer. Writing the archive ourselves (instead of running cpio over a staging
// directory) keeps the image reproducible — sorted entries, fixed mtimes, root ownership — and lets a
// non-root build add device nodes.

export type CpioEntry =
  | { readonly kind: 'file'; readonly path: string; readonly mode: number; readonly data: Uint8Array }
  | { readonly kind: 'dir'; readonly path: string; readonly mode: number }
  | { readonly kind: 'symlink'; readonly path: string; readonly target: string }
  | { readonly kind: 'chardev'; readonly path: string; readonly mode: number; readonly major: number; readonly minor: number };

const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

const hex8 = (n: number) => n.toString(16).padStart(8, '0');
const pad4 = (n: number) => (4 - (n % 4)) % 4;

function header(ino: number, mode: number, nlink: number, size: number, name: string, rdev: [number, number]): Buffer {
  const nameBytes = Buffer.from(`${name}\0`);
  const fields = [ino, mode, 0, 0, nlink, 0 /* mtime: fixed for reproducibility */, size, 0, 0, rdev[0], rdev[1], nameBytes.length, 0];
  const head = Buffer.from(`070701${fields.map(hex8).join('')}`, 'ascii');
  return Buffer.concat([head, nameBytes, Buffer.alloc(pad4(head.length + nameBytes.length))]);
}

/** Entries are sorted by path so the same inputs always give the same bytes. */
export function writeCpio(entries: readonly CpioEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const parts: Buffer[] = [];
  let ino = 1;
  for (const e of sorted) {
    const name = e.path.replace(/^\/+/, '');
    switch (e.kind) {
      case 'file':
        parts.push(header(ino++, S_IFREG | e.mode, 1, e.data.length, name, [0, 0]), Buffer.from(e.data), Buffer.alloc(pad4(e.data.length)));
        break;
      case 'dir':
        parts.push(header(ino++, S_IFDIR | e.mode, 2, 0, name, [0, 0]));
        break;
      case 'symlink': {
        const t = Buffer.from(e.target);
        parts.push(header(ino++, S_IFLNK | 0o777, 1, t.length, name, [0, 0]), t, Buffer.alloc(pad4(t.length)));
        break;
      }
      case 'chardev':
        parts.push(header(ino++, S_IFCHR | e.mode, 1, 0, name, [e.major, e.minor]));
        break;
    }
  }
  parts.push(header(0, 0, 1, 0, 'TRAILER!!!', [0, 0]));
  const body = Buffer.concat(parts);
  // The kernel reads cpio in 512-byte blocks; pad like cpio(1) does.
  return Buffer.concat([body, Buffer.alloc((512 - (body.length % 512)) % 512)]);
}
