/**
 * A short floating-point kernel timed on this core: a rough, comparable FLOPS figure for the broker
 * (ClassAds' KFlops works the same way). Each inner iteration does 2 multiply-adds = 4 flops.
 */
export function measureFlops(budgetMs = 50, now: () => number = () => performance.now()): number {
  const a = 1.0000001;
  const b = 0.9999999;
  let x = 0.5;
  let y = 0.25;
  let flops = 0;
  const start = now();
  const chunk = 200_000;
  for (;;) {
    for (let i = 0; i < chunk; i++) {
      x = x * a + b;
      y = y * b + a;
      if (x > 1e6) x = 0.5;
      if (y > 1e6) y = 0.25;
    }
    flops += chunk * 4;
    const elapsed = now() - start;
    // x + y feeds the result, so the optimiser cannot drop the loop.
    if (elapsed >= budgetMs) return Math.round(flops / (elapsed / 1000)) + (Number.isNaN(x + y) ? 1 : 0);
  }
}
