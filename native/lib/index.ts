// Public API of the native addon: per-core CPU times, one-pass /proc sweeps and thread affinity.
// C++ (native/src) does the work; this wrapper validates arguments, decodes results and turns
// failures into typed errors. The addon loads on first use: see createNativeApi.
import { createNativeApi } from './api.ts';

export { createNativeApi, type NativeApi, type NativeApiOptions } from './api.ts';
export { NativeAddonMissingError, NativeArgumentError, NativeError, UnsupportedPlatformError } from './errors.ts';
export { loadAddon, locateAddon } from './loader.ts';
export type { CgroupMembership, CoreTimes, ProcessSample, Sweep, SweepOptions, ThreadSample } from './types.ts';

const native = createNativeApi();

export const cpuTimes = native.cpuTimes;
export const sweep = native.sweep;
export const getAffinity = native.getAffinity;
export const setAffinity = native.setAffinity;
export const cpuCount = native.cpuCount;
export const nativeAddonError = native.nativeAddonError;
