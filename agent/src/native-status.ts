/** Why the native addon cannot be used (null when it can); the agent runs without it, degraded. */
export async function loadNativeStatus(): Promise<string | null> {
  try {
    const native = (await import('../../native/lib/index.ts')) as { nativeAddonError: () => string | null };
    return native.nativeAddonError();
  } catch (err) {
    return `native addon wrapper failed to load: ${(err as Error).message}`;
  }
}
