// Which cores the guests' threads should run on: off the cores the owner is using, so a vCPU
// does not share a core (and its caches) with the owner's work. Asymmetric like the owner
// classifier: a core becomes the owner's at the sample that sees it busy, and is given back only
// after the quiet period. Pure.

export interface PlacementOptions {
  /** Owner load on a core (percent of that core) that makes it the owner's. */
  readonly busyPercent: number;
  readonly quietMs: number;
}

export interface Placement {
  /**
   * Cores for guest threads now. `allowed`: the donation's cores; `ownerPerCore`: owner load per
   * core over the last sample (percent of each core); null when the owner is not active.
   */
  update(allowed: readonly number[], ownerPerCore: readonly number[] | null, now: number): number[];
}

export function createPlacement(opts: () => PlacementOptions): Placement {
  const busyAt = new Map<number, number>();
  return {
    update(allowed, ownerPerCore, now) {
      const o = opts();
      if (!ownerPerCore) {
        busyAt.clear();
        return [...allowed];
      }
      ownerPerCore.forEach((pct, core) => {
        if (pct >= o.busyPercent) busyAt.set(core, now);
      });
      const owners = (c: number) => {
        const t = busyAt.get(c);
        return t !== undefined && now - t < o.quietMs;
      };
      const free = allowed.filter((c) => !owners(c));
      if (free.length) return free;
      // The owner is on every core we may use: keep the guests on the one the owner uses least.
      const least = [...allowed].sort((a, b) => (ownerPerCore[a] ?? 0) - (ownerPerCore[b] ?? 0))[0];
      return least === undefined ? [] : [least];
    },
  };
}
