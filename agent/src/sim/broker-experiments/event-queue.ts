/** Min-heap of timed events; equal times come out in insertion order so runs are deterministic. */
export class EventQueue<T> {
  private readonly times: number[] = [];
  private readonly seqs: number[] = [];
  private readonly items: T[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  peekTime(): number {
    return this.items.length > 0 ? this.times[0]! : Infinity;
  }

  push(time: number, item: T): void {
    let i = this.items.length;
    this.times.push(time);
    this.seqs.push(this.seq++);
    this.items.push(item);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  pop(): { time: number; item: T } | undefined {
    if (this.items.length === 0) return undefined;
    const out = { time: this.times[0]!, item: this.items[0]! };
    const last = this.items.length - 1;
    this.swap(0, last);
    this.times.pop();
    this.seqs.pop();
    this.items.pop();
    let i = 0;
    const n = this.items.length;
    for (;;) {
      const a = 2 * i + 1;
      const b = a + 1;
      let m = i;
      if (a < n && this.less(a, m)) m = a;
      if (b < n && this.less(b, m)) m = b;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
    return out;
  }

  private less(i: number, j: number): boolean {
    const ti = this.times[i]!;
    const tj = this.times[j]!;
    return ti < tj || (ti === tj && this.seqs[i]! < this.seqs[j]!);
  }

  private swap(i: number, j: number): void {
    const t = this.times[i]!;
    this.times[i] = this.times[j]!;
    this.times[j] = t;
    const q = this.seqs[i]!;
    this.seqs[i] = this.seqs[j]!;
    this.seqs[j] = q;
    const x = this.items[i]!;
    this.items[i] = this.items[j]!;
    this.items[j] = x;
  }
}
