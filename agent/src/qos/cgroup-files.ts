// Reading and writing cgroup control files, with errors that name the file and the errno.
import { existsSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class CgroupError extends Error {
  readonly file: string;
  readonly code: string;
  constructor(message: string, file: string, code: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'CgroupError';
    this.file = file;
    this.code = code;
  }
}

export function writeControl(file: string, value: string): void {
  try {
    writeFileSync(file, value);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    throw new CgroupError(`cannot write "${value}" to ${file}: ${code}${code === 'EBUSY' ? ' (the group holds more than that)' : ''}`, file, code, err);
  }
}

export function readControl(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

export function readNumber(file: string): number | null {
  const t = readControl(file);
  if (t === null) return null;
  const n = Number(t.trim());
  return Number.isFinite(n) ? n : null;
}

/** A "key value" line of a flat-keyed file such as cpu.stat. */
export function readKey(file: string, key: string): number | null {
  const t = readControl(file);
  if (t === null) return null;
  const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(t);
  return m ? Number(m[1]) : null;
}

export function readPids(file: string): number[] {
  const t = readControl(file);
  return t === null ? [] : t.split('\n').filter(Boolean).map(Number);
}

export function has(file: string): boolean {
  return existsSync(file);
}

/** Removes a group directory after moving its processes to `to`; processes that exit meanwhile are fine. */
export function evacuateAndRemove(dir: string, to: string): void {
  if (!existsSync(dir)) return;
  for (let attempt = 0; ; attempt++) {
    for (const pid of readPids(`${dir}/cgroup.procs`)) {
      try {
        writeFileSync(`${to}/cgroup.procs`, String(pid));
      } catch {
        // exited, or a zombie the kernel is still reaping
      }
    }
    try {
      rmdirSync(dir);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      // EBUSY while an exiting task still counts as a member.
      if (code !== 'EBUSY' || attempt >= 50) throw new CgroupError(`cannot remove ${dir}: ${code}`, dir, code ?? 'EIO', err);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}

/** Removes base/name, then each of its parents that has no other child group left. */
export function removeGroupPath(base: string, name: string): void {
  const parts = name.split('/').filter(Boolean);
  for (let n = parts.length; n > 0; n--) {
    const dir = join(base, ...parts.slice(0, n));
    if (n < parts.length && existsSync(dir) && readdirSync(dir, { withFileTypes: true }).some((e) => e.isDirectory())) return;
    evacuateAndRemove(dir, base);
  }
}
