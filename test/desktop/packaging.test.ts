// The installers' configuration, checked without building installers: electron-builder.yml against
// electron-builder's own schema, the fuses equal in both packagers, every lab preset against ours,
// and `phantom preset` end to end.
import { readdirSync, readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { FuseV1Options } from '@electron/fuses';
import { Preset } from '../../contract/index.ts';
import { FUSES, flipFusesConfig } from '../../build/fuses.ts';
import forgeConfig, { packagedExecutable } from '../../forge.config.ts';
import { repoRoot, runPhantom } from '../support/agent-process.ts';

const builderYml = parseYaml(readFileSync(join(repoRoot, 'electron-builder.yml'), 'utf8')) as Record<string, unknown>;
const tmp = mkdtempSync(join(tmpdir(), 'phantom-pkg-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('electron-builder.yml', () => {
  const ajv = new Ajv({ strict: false, allErrors: true });
  const validate = ajv.compile(JSON.parse(readFileSync(join(repoRoot, 'node_modules/app-builder-lib/scheme.json'), 'utf8')));

  it('is valid by electron-builder\'s own configuration schema', () => {
    expect(validate(builderYml), ajv.errorsText(validate.errors)).toBe(true);
  });

  it('a misspelt option is caught by that schema (the check has teeth)', () => {
    expect(validate({ ...builderYml, nsis: { perMachin: true } })).toBe(false);
  });

  it('builds every installer the labs need: AppImage, deb, rpm, per-machine NSIS, dmg', () => {
    const linux = builderYml.linux as { target: string[] };
    expect(linux.target).toEqual(expect.arrayContaining(['AppImage', 'deb', 'rpm']));
    expect(JSON.stringify(builderYml.win)).toContain('nsis');
    expect(builderYml.nsis).toMatchObject({ perMachine: true, oneClick: false });
    expect((builderYml.mac as { target: string[] }).target).toContain('dmg');
    expect(builderYml.publish).toBeNull();
  });
});

describe('Electron fuses', () => {
  it('electron-builder.yml sets exactly the fuses of build/fuses.json', () => {
    expect(builderYml.electronFuses).toEqual(FUSES);
  });

  it('Forge flips the same fuses, every one of them set', () => {
    const config = flipFusesConfig() as unknown as Record<string, unknown>;
    expect(config.strictlyRequireAllFuses).toBe(true);
    const wireCount = Object.keys(FuseV1Options).filter((k) => Number.isNaN(Number(k))).length;
    expect(Object.keys(FUSES).length).toBe(wireCount);
    expect(config[FuseV1Options.RunAsNode]).toBe(FUSES.runAsNode);
    expect(config[FuseV1Options.OnlyLoadAppFromAsar]).toBe(FUSES.onlyLoadAppFromAsar);
    expect(config[FuseV1Options.GrantFileProtocolExtraPrivileges]).toBe(FUSES.grantFileProtocolExtraPrivileges);
    expect(config[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(false);
    expect(typeof forgeConfig.hooks?.postPackage).toBe('function');
    expect(packagedExecutable('/out/x', 'linux')).toBe('/out/x/phantom-grid');
    expect(packagedExecutable('/out/x', 'win32')).toBe('/out/x/phantom-grid.exe');
    expect(packagedExecutable('/out/x', 'darwin')).toBe('/out/x/Phantom Grid.app');
  });
});

describe('lab presets', () => {
  const dir = join(repoRoot, 'build/presets');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

  it('there are presets to check', () => expect(files.length).toBeGreaterThan(0));

  it.each(files)('%s is valid by our schema', (file) => {
    const parsed = Preset.safeParse(JSON.parse(readFileSync(join(dir, file), 'utf8')));
    expect(parsed.success, parsed.error?.message).toBe(true);
  });

  it('`phantom preset check` accepts them all and names the field of a bad one', async () => {
    const bad = join(tmp, 'bad.json');
    writeFileSync(bad, JSON.stringify({ version: 1, name: 'Lab', locked: ['cpuPercent', 'warpDrive'] }));
    const good = await runPhantom(['preset', 'check', '--json', ...files.map((f) => join(dir, f))]);
    expect(good.code, good.stderr).toBe(0);
    expect(JSON.parse(good.stdout).every((r: { ok: boolean }) => r.ok)).toBe(true);
    const res = await runPhantom(['preset', 'check', bad]);
    expect(res.code).toBe(65);
    expect(res.stderr).toMatch(/locked\.1/);
  });

  it('`phantom preset create` writes a preset that checks, and refuses bad limits', async () => {
    const out = join(tmp, 'lab.json');
    const made = await runPhantom(['preset', 'create', '--name', 'Room 101', '--cpu', '40', '--idle-minutes', '5', '--lock', 'cpuPercent,qos', '--update-url', 'https://lab.example/feed/', '--out', out]);
    expect(made.code, made.stderr).toBe(0);
    const preset = Preset.parse(JSON.parse(readFileSync(out, 'utf8')));
    expect(preset).toMatchObject({ name: 'Room 101', limits: { cpuPercent: 40, onlyWhenIdleMinutes: 5 }, locked: ['cpuPercent', 'qos'], startAtLogin: true, updates: { url: 'https://lab.example/feed/' } });
    const bad = await runPhantom(['preset', 'create', '--name', 'x', '--cpu', '150']);
    expect(bad.code).toBe(65);
    expect(bad.stderr).toMatch(/cpuPercent/);
  });
});
