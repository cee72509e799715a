// Loader and error paths of the wrapper, without a built addon. (index.test.ts runs the real one.)
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { createNativeApi, NativeAddonMissingError, NativeError, UnsupportedPlatformError } from './index.ts';
import { parseCgroupFile, type RawBinding } from './raw.ts';

const missing = join(tmpdir(), 'phantom-no-such-dir', 'phantom_native.node');

/** Every public function, called once. */
const callAll = (api: ReturnType<typeof createNativeApi>): Array<() => unknown> => [
  () => api.cpuTimes(),
  () => api.getAffinity(1),
  () => api.setAffinity(1, [0]),
  () => api.cpuCount(),
];

describe('a missing addon', () => {
  const api = createNativeApi({ addonPath: missing });

  it('makes every function throw NativeAddonMissingError saying how to build it', async () => {
    for (const f of callAll(api)) {
      expect(f).toThrow(NativeAddonMissingError);
      expect(f).toThrow(/npm run build:native/);
    }
    await expect(api.sweep()).rejects.toThrow(NativeAddonMissingError);
  });

  it('is reported by nativeAddonError without throwing', () => {
    const why = api.nativeAddonError();
    expect(why).toContain(missing);
    expect(why).toMatch(/scripts\/install-system-deps\.sh/);
  });

  it('names the path and keeps the loader error as the cause', () => {
    try {
      api.cpuTimes();
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(NativeAddonMissingError);
      expect((err as NativeAddonMissingError).path).toBe(missing);
      expect((err as Error).cause).toBeInstanceOf(Error);
    }
  });
});

describe('an OS without a backend', () => {
  it('throws UnsupportedPlatformError before loading anything', async () => {
    let loads = 0;
    const api = createNativeApi({ platform: 'darwin', load: () => (loads++, {} as RawBinding) });
    for (const f of callAll(api)) expect(f).toThrow(new UnsupportedPlatformError('darwin'));
    await expect(api.sweep()).rejects.toThrow('unsupported on this OS: darwin');
    expect(api.nativeAddonError()).toBe('unsupported on this OS: darwin');
    expect(loads).toBe(0);
  });

  it('treats an addon built with the "unsupported" backend the same way', () => {
    const api = createNativeApi({ platform: 'linux', load: () => ({ backend: '' }) as RawBinding });
    expect(() => api.cpuTimes()).toThrow(UnsupportedPlatformError);
  });
});

describe('errors from the binding', () => {
  // Errors shaped as native/src/js_values.cc ToJsError makes them.
  const sysError = (errno: number, syscall: string, unsupported = false) =>
    Object.assign(new Error(`${syscall}: failed`), { errno, syscall, unsupported });
  const binding = (err: Error): RawBinding => ({
    backend: 'linux',
    cpuCount: () => 4,
    cpuTimes: () => {
      throw err;
    },
    sweep: () => Promise.reject(err),
    getAffinity: () => {
      throw err;
    },
    setAffinity: () => {
      throw err;
    },
  });

  it('become NativeError with errno, code and syscall', async () => {
    const api = createNativeApi({ load: () => binding(sysError(1, 'sched_setaffinity')) });
    expect(() => api.setAffinity(7, [1])).toThrow(NativeError);
    try {
      api.setAffinity(7, [1]);
    } catch (err) {
      expect(err).toMatchObject({ name: 'NativeError', errno: 1, code: 'EPERM', syscall: 'sched_setaffinity' });
    }
    await expect(api.sweep()).rejects.toMatchObject({ code: 'EPERM' });
  });

  it('from the unsupported backend become UnsupportedPlatformError', () => {
    const api = createNativeApi({ load: () => binding(sysError(0, '', true)) });
    expect(() => api.getAffinity(3)).toThrow(UnsupportedPlatformError);
  });
});

describe('parseCgroupFile', () => {
  it('reads cgroup v1, hybrid and v2-only memberships', () => {
    const hybrid = parseCgroupFile('12:cpu,cpuacct:/grid/guests\n4:memory:/user.slice\n1:name=systemd:/user.slice/a:b.scope\n0::/user.slice/a:b.scope\n');
    expect(hybrid.v1).toEqual({ cpu: '/grid/guests', cpuacct: '/grid/guests', memory: '/user.slice', 'name=systemd': '/user.slice/a:b.scope' });
    expect(hybrid.v2).toBe('/user.slice/a:b.scope');
    expect(parseCgroupFile('0::/system.slice/phantom.service\n')).toEqual({ v1: {}, v2: '/system.slice/phantom.service' });
    expect(parseCgroupFile('3:cpuset:/\n')).toEqual({ v1: { cpuset: '/' }, v2: null });
    expect(Object.isFrozen(hybrid) && Object.isFrozen(hybrid.v1)).toBe(true);
  });
});
