import type { Readable } from 'node:stream';

/** Collects a child's newline-delimited JSON output into an array that fills as lines arrive. */
export function collectJsonLines<T>(stream: Readable): T[] {
  const lines: T[] = [];
  let buf = '';
  stream.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buf.slice(0, nl)) as T);
      buf = buf.slice(nl + 1);
    }
  });
  return lines;
}
