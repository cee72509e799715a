import { readFileSync, writeFileSync } from 'node:fs';
import { describeIssue, LockableSetting, Preset, PRESET_VERSION, type PresetInput } from '../../../../contract/index.ts';
import { Exit, UsageError, type Command } from '../command.ts';
import { parseCommandArgs } from '../parse.ts';
import { limitsPatchFromArgs, LIMIT_OPTIONS, onOff } from './limits.ts';

const help = `usage: phantom preset check FILE... [--json]
       phantom preset create --name NAME [--invite INVITE] [--cpu PCT] [--cores LIST|all] [--memory MIB]
                             [--disk MIB] [--idle-minutes N] [--pause-on-battery on|off] [--qos on|off]
                             [--start-at-login on|off] [--lock SETTING[,SETTING...]] [--update-url URL]
                             [--out FILE]

Lab presets (docs/LAB-GUIDE.md): a JSON file shipped inside an installer and applied on the first
run — the grid to join, default limits, start at login, which settings owners may not change, and
an optional update feed.

  check    validate preset files; names the bad field; exit 65 if any is invalid
  create   write a valid preset (to --out, else stdout); options left out keep the app's defaults
  --lock   settings shown read-only: ${LockableSetting.options.join(', ')}`;

/** Validates one preset file: the parsed preset, or the message naming what is wrong. */
export function checkPresetFile(path: string): { ok: true; preset: Preset } | { ok: false; error: string; field: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    return { ok: false, error: `not readable JSON: ${(err as Error).message}`, field: '' };
  }
  const parsed = Preset.safeParse(raw);
  if (parsed.success) return { ok: true, preset: parsed.data };
  const { message, field } = describeIssue(parsed.error);
  return { ok: false, error: message, field };
}

async function check(argv: string[], out: (t: string) => void, err: (t: string) => void): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { json: { type: 'boolean' } }, true);
  if (positionals.length === 0) throw new UsageError('check: name at least one preset file');
  const results = positionals.map((file) => ({ file, ...checkPresetFile(file) }));
  if (values.json) out(JSON.stringify(results.map((r) => (r.ok ? { file: r.file, ok: true, name: r.preset.name } : { file: r.file, ok: false, error: r.error, field: r.field }))));
  else for (const r of results) (r.ok ? out : err)(r.ok ? `${r.file}: ok (${r.preset.name})` : `${r.file}: ${r.error}`);
  return results.every((r) => r.ok) ? Exit.ok : Exit.dataErr;
}

async function create(argv: string[], out: (t: string) => void, err: (t: string) => void): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    name: { type: 'string' },
    description: { type: 'string' },
    invite: { type: 'string' },
    ...LIMIT_OPTIONS,
    'start-at-login': { type: 'string' },
    lock: { type: 'string', multiple: true },
    'update-url': { type: 'string' },
    out: { type: 'string' },
  });
  if (!values.name) throw new UsageError('create: --name is required');
  const limits: NonNullable<PresetInput['limits']> = limitsPatchFromArgs(values);
  const input: PresetInput = {
    version: PRESET_VERSION,
    name: values.name,
    ...(values.description !== undefined ? { description: values.description } : {}),
    grid: values.invite !== undefined ? { invite: values.invite } : null,
    limits,
    startAtLogin: values['start-at-login'] !== undefined ? onOff('start-at-login', values['start-at-login']) : true,
    locked: (values.lock ?? []).flatMap((l) => l.split(',')).map((l) => l.trim()).filter(Boolean) as PresetInput['locked'],
    updates: values['update-url'] !== undefined ? { url: values['update-url'] } : null,
  };
  const parsed = Preset.safeParse(input);
  if (!parsed.success) {
    const { message } = describeIssue(parsed.error);
    err(`phantom preset create: ${message}`);
    return Exit.dataErr;
  }
  const text = `${JSON.stringify(parsed.data, null, 2)}\n`;
  if (values.out) {
    writeFileSync(values.out, text);
    out(`wrote ${values.out} (${parsed.data.name}); build an installer with it: see docs/LAB-GUIDE.md`);
  } else out(text.trimEnd());
  return Exit.ok;
}

export const command: Command = {
  name: 'preset',
  summary: 'create or check a lab preset for installers',
  help,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === 'check') return check(rest, io.out, io.err);
    if (sub === 'create') return create(rest, io.out, io.err);
    throw new UsageError(sub ? `unknown subcommand "${sub}" (expected check or create)` : 'expected a subcommand: check or create');
  },
};
