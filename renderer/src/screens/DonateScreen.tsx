import { useEffect } from 'react';
import type { DonationLimits, ResourceDescription } from '../../../contract/index.ts';
import { useClient } from '../api/context.tsx';
import { NumberField } from '../components/NumberField.tsx';
import { Slider } from '../components/Slider.tsx';
import { Toggle } from '../components/Toggle.tsx';
import { ScheduleEditor } from '../components/ScheduleEditor.tsx';
import { gib } from '../lib/format.ts';
import { useLimits } from '../stores/limits.ts';
import { useStatus } from '../stores/status.ts';

/** Applied this long after the owner stops moving a control: well within the one second promised. */
export const APPLY_DELAY_MS = 250;

const FIELD_LABELS: Record<string, string> = {
  cpuPercent: 'CPU share',
  cores: 'Cores',
  memoryMiB: 'Memory',
  diskMiB: 'Disk',
  schedule: 'Schedule',
  onlyWhenIdleMinutes: 'Idle time',
};

/** What guests will get, in words: the live preview beside the sliders. */
export function preview(l: DonationLimits, machine: ResourceDescription): string[] {
  const cores = l.cores ? l.cores.length : machine.cores;
  const coreEq = ((l.cpuPercent / 100) * cores).toFixed(1);
  const mem = l.memoryMiB ?? Math.floor(machine.memoryMiB / 4);
  const when = [
    l.schedule.length ? `${l.schedule.length} time window${l.schedule.length === 1 ? '' : 's'} a week` : 'any time',
    l.onlyWhenIdleMinutes > 0 ? `after you have been away ${l.onlyWhenIdleMinutes} min` : 'also while you are lightly active',
    l.pauseOnBattery ? 'never on battery' : 'also on battery',
  ];
  return [
    `CPU: up to ${coreEq} core${coreEq === '1.0' ? '' : 's'} of work (${l.cpuPercent}% of ${cores} core${cores === 1 ? '' : 's'})`,
    `Memory: ${gib(mem)}${l.memoryMiB === null ? ' (25% of this machine)' : ''}`,
    `Disk: ${gib(l.diskMiB)}`,
    `When: ${when.join(', ')}`,
    l.qos ? 'You come first: grid work slows within a second when you need the machine' : 'Dedicated: no throttling for the owner',
  ];
}

export function DonateScreen({ compact = false }: { compact?: boolean }) {
  const client = useClient();
  const machine = useStatus((s) => s.status?.resources ?? null);
  const { draft, save, error, load, edit, apply, revert } = useLimits();

  useEffect(() => {
    void load(client);
  }, [client, load]);

  // Apply shortly after the last change; each new change restarts the wait.
  useEffect(() => {
    if (save !== 'pending') return;
    const t = setTimeout(() => void apply(client), APPLY_DELAY_MS);
    return () => clearTimeout(t);
  }, [draft, save, apply, client]);

  const bad = (field: string) => error?.field === field;
  const saveText = { idle: ' ', pending: 'Applying…', saving: 'Applying…', saved: 'Applied', error: 'Not applied' }[save];

  return (
    <section aria-labelledby="donate-title" className={compact ? 'donate compact' : 'donate'}>
      <h1 id="donate-title">{compact ? 'Donation' : 'What you donate'}</h1>
      <p className="save-state" aria-live="polite" data-testid="save-state">
        {saveText}
      </p>
      {error && (
        <div role="alert" className="error-box" data-testid="limits-error">
          <strong>{error.field ? `${FIELD_LABELS[error.field] ?? error.field}: ` : ''}not changed.</strong> {error.message}
          <button type="button" onClick={revert}>
            Undo my change
          </button>
        </div>
      )}
      {!draft || !machine ? (
        <p aria-busy="true">Reading your limits…</p>
      ) : (
        <div className="donate-grid">
          <form className="card controls" onSubmit={(e) => e.preventDefault()} aria-label="Donation limits">
            <Slider label="CPU share" value={draft.cpuPercent} min={0} max={100} step={5} format={(v) => `${v}%`} onChange={(v) => edit({ cpuPercent: v })} invalid={bad('cpuPercent')} testId="cpu-slider" hint="Of each core grid work may use." />
            <Slider
              label="Cores"
              value={draft.cores ? draft.cores.length : machine.cores}
              min={1}
              max={machine.cores}
              format={(v) => (v === machine.cores ? `all ${v}` : `${v} of ${machine.cores}`)}
              onChange={(v) => edit({ cores: v === machine.cores ? null : Array.from({ length: v }, (_, i) => i) })}
              invalid={bad('cores')}
              testId="cores-slider"
            />
            {!compact && (
              <Toggle label="Memory: automatic (25% of this machine)" checked={draft.memoryMiB === null} onChange={(auto) => edit({ memoryMiB: auto ? null : Math.floor(machine.memoryMiB / 4) })} testId="memory-auto" />
            )}
            {draft.memoryMiB !== null && (
              <>
                <Slider label="Memory" value={Math.min(draft.memoryMiB, machine.memoryMiB)} min={0} max={machine.memoryMiB} step={256} format={gib} onChange={(v) => edit({ memoryMiB: v })} invalid={bad('memoryMiB')} testId="memory-slider" />
                {!compact && <NumberField label="Exact memory" unit="MiB" value={draft.memoryMiB} onCommit={(v) => edit({ memoryMiB: v })} invalid={bad('memoryMiB')} testId="memory-input" />}
              </>
            )}
            {!compact && (
              <>
                <Slider label="Disk" value={Math.round(draft.diskMiB / 1024)} min={1} max={Math.max(512, Math.round(draft.diskMiB / 1024))} format={(v) => `${v} GiB`} onChange={(v) => edit({ diskMiB: v * 1024 })} invalid={bad('diskMiB')} testId="disk-slider" hint="For guest images and checkpoints." />
                <Slider
                  label="Only when I have been away for"
                  value={draft.onlyWhenIdleMinutes}
                  min={0}
                  max={60}
                  step={1}
                  format={(v) => (v === 0 ? 'no wait' : `${v} min`)}
                  onChange={(v) => edit({ onlyWhenIdleMinutes: v })}
                  testId="idle-slider"
                  hint="0: grid work also runs while you are lightly active."
                />
                <Toggle label="Pause on battery" checked={draft.pauseOnBattery} onChange={(v) => edit({ pauseOnBattery: v })} testId="battery-toggle" />
                <Toggle label="Keep me first (QoS)" checked={draft.qos} onChange={(v) => edit({ qos: v })} testId="qos-toggle" hint="Turn off only on machines dedicated to the grid." />
                <ScheduleEditor value={draft.schedule} onChange={(schedule) => edit({ schedule })} invalid={bad('schedule')} />
              </>
            )}
          </form>
          {!compact && (
            <aside className="card preview" aria-labelledby="preview-title">
              <h2 id="preview-title">Guests will get</h2>
              <ul data-testid="preview">
                {preview(draft, machine).map((line) => (
                  <li key={line.split(':')[0]}>{line}</li>
                ))}
              </ul>
            </aside>
          )}
        </div>
      )}
    </section>
  );
}
