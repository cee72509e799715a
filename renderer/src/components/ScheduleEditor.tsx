import { useId } from 'react';
import type { DonationLimits } from '../../../contract/index.ts';

type Window = DonationLimits['schedule'][number];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** Time windows in which grid work may run; none = any time. */
export function ScheduleEditor({ value, onChange, invalid }: { value: readonly Window[]; onChange: (v: Window[]) => void; invalid?: boolean }) {
  const id = useId();
  const set = (i: number, w: Window) => onChange(value.map((x, j) => (j === i ? w : x)));
  return (
    <fieldset className="schedule" aria-invalid={invalid || undefined}>
      <legend>Schedule</legend>
      {value.length === 0 && <p className="hint">Any time of day, any day.</p>}
      {value.map((w, i) => (
        <div className="window" key={i} role="group" aria-label={`Window ${i + 1}`}>
          <div className="days">
            {DAYS.map((d, day) => (
              <label key={d} className={w.days.includes(day) ? 'day on' : 'day'}>
                <input
                  type="checkbox"
                  checked={w.days.includes(day)}
                  onChange={(e) => {
                    const days = e.target.checked ? [...w.days, day].sort() : w.days.filter((x) => x !== day);
                    if (days.length) set(i, { ...w, days });
                  }}
                />
                {d}
              </label>
            ))}
          </div>
          <label htmlFor={`${id}-${i}-from`}>from</label>
          <input id={`${id}-${i}-from`} type="time" value={w.from} onChange={(e) => e.target.value && set(i, { ...w, from: e.target.value })} />
          <label htmlFor={`${id}-${i}-to`}>to</label>
          <input id={`${id}-${i}-to`} type="time" value={w.to} onChange={(e) => e.target.value && set(i, { ...w, to: e.target.value })} />
          <button type="button" className="link" onClick={() => onChange(value.filter((_, j) => j !== i))} aria-label={`Remove window ${i + 1}`}>
            Remove
          </button>
        </div>
      ))}
      <button type="button" onClick={() => onChange([...value, { days: [1, 2, 3, 4, 5], from: '18:00', to: '23:59' }])} disabled={value.length >= 32}>
        Add a time window
      </button>
    </fieldset>
  );
}
