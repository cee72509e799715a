import { useId } from 'react';

export function Toggle({ label, checked, onChange, hint, disabled, testId }: { label: string; checked: boolean; onChange: (v: boolean) => void; hint?: string; disabled?: boolean; testId?: string }) {
  const id = useId();
  return (
    <div className="toggle">
      <input id={id} type="checkbox" checked={checked} disabled={disabled} data-testid={testId} aria-describedby={hint ? `${id}-hint` : undefined} onChange={(e) => onChange(e.target.checked)} />
      <label htmlFor={id}>{label}</label>
      {hint && <p id={`${id}-hint`} className="hint">{hint}</p>}
    </div>
  );
}
