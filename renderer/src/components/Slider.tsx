import { useId } from 'react';

export interface SliderProps {
  label: string;
  value: number;
  min: number;
  max: number;
  step?: number;
  format: (v: number) => string;
  onChange: (v: number) => void;
  hint?: string;
  disabled?: boolean;
  invalid?: boolean;
  testId?: string;
}

/** A labelled range input whose value is also spoken (aria-valuetext) and shown beside the label. */
export function Slider({ label, value, min, max, step = 1, format, onChange, hint, disabled, invalid, testId }: SliderProps) {
  const id = useId();
  const text = format(value);
  return (
    <div className="field">
      <div className="field-head">
        <label htmlFor={id}>{label}</label>
        <output htmlFor={id} className="value">{text}</output>
      </div>
      <input
        id={id}
        type="range"
        min={min}
        max={max}
        step={step}
        value={value}
        disabled={disabled}
        aria-valuetext={text}
        aria-invalid={invalid || undefined}
        aria-describedby={hint ? `${id}-hint` : undefined}
        data-testid={testId}
        onChange={(e) => onChange(Number(e.target.value))}
      />
      {hint && <p id={`${id}-hint`} className="hint">{hint}</p>}
    </div>
  );
}
