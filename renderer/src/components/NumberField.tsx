import { useId, useState } from 'react';

export interface NumberFieldProps {
  label: string;
  value: number;
  unit: string;
  /** Called when the owner commits (Enter or leaving the field), not on every keystroke. */
  onCommit: (v: number) => void;
  min?: number;
  disabled?: boolean;
  invalid?: boolean;
  testId?: string;
}

/** An exact number, applied when committed, so half-typed values never reach the agent. */
export function NumberField({ label, value, unit, onCommit, min = 0, disabled, invalid, testId }: NumberFieldProps) {
  const id = useId();
  const [text, setText] = useState(String(value));
  // When the value changes from outside (applied, reverted), show it: state adjusted during render.
  const [shown, setShown] = useState(value);
  if (shown !== value) {
    setShown(value);
    setText(String(value));
  }
  const commit = () => {
    const n = Number(text);
    if (text.trim() !== '' && Number.isInteger(n) && n !== value) onCommit(n);
  };
  return (
    <div className="number-field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="number"
        inputMode="numeric"
        min={min}
        value={text}
        disabled={disabled}
        aria-invalid={invalid || undefined}
        data-testid={testId}
        onChange={(e) => setText(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit();
        }}
      />
      <span className="unit">{unit}</span>
    </div>
  );
}
