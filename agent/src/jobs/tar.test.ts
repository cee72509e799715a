import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTar } from './tar.ts';

describe('readTar', () => {
  it('reads what busybox tar writes: nested files, long names, empty files; skips directories', () => {
    const dir = mkdtempSync(join(tmpdir(), 'phantom-tar-'));
    try {
      const long = `${'d'.repeat(90)}/${'f'.repeat(120)}.txt`;
      mkdirSync(join(dir, 'src', 'a', 'b'), { recursive: true });
      mkdirSync(join(dir, 'src', 'd'.repeat(90)), { recursive: true });
      writeFileSync(join(dir, 'src', 'top.txt'), 'top\n');
      writeFileSync(join(dir, 'src', 'a', 'b', 'deep.bin'), Buffer.from([0, 1, 2, 255]));
      writeFileSync(join(dir, 'src', 'empty'), '');
      writeFileSync(join(dir, 'src', long), 'x'.repeat(1000));
      execFileSync('busybox', ['tar', 'cf', join(dir, 'out.tar'), '.'], { cwd: join(dir, 'src') });
      const entries = new Map(readTar(readFileSync(join(dir, 'out.tar'))).map((e) => [e.path.replace(/^\.\//, ''), e.content]));
      expect([...entries.keys()].sort()).toEqual(['a/b/deep.bin', 'empty', long, 'top.txt'].sort());
      expect(entries.get('top.txt')!.toString()).toBe('top\n');
      expect([...entries.get('a/b/deep.bin')!]).toEqual([0, 1, 2, 255]);
      expect(entries.get(long)!.length).toBe(1000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an archive cut short', () => {
    const dir = mkdtempSync(join(tmpdir(), 'phantom-tar-'));
    try {
      writeFileSync(join(dir, 'f'), 'y'.repeat(5000));
      execFileSync('busybox', ['tar', 'cf', 'out.tar', 'f'], { cwd: dir });
      expect(() => readTar(readFileSync(join(dir, 'out.tar')).subarray(0, 2048))).toThrow(/past the end/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
