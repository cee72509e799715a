import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  colour: string;
  values: readonly number[];
}

export interface ChartProps {
  title: string;
  /** Unix ms per point. */
  times: readonly number[];
  series: readonly ChartSeries[];
  unit: string;
  max?: number;
  height?: number;
}

/**
 * A live time-series chart (uPlot: small, fast, canvas). Its box has a fixed height, so data
 * arriving never moves the page; a text summary of the latest point is there for screen readers.
 */
export function Chart({ title, times, series, unit, max, height = 160 }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = series.map((s) => `${s.label}:${s.colour}`).join('|');

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const styles = getComputedStyle(document.documentElement);
    const axis = { stroke: styles.getPropertyValue('--muted').trim() || '#888', grid: { stroke: styles.getPropertyValue('--grid').trim() || '#8883', width: 1 }, ticks: { show: false } };
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: [0, max ?? null] as uPlot.Range.MinMax } },
      axes: [axis, { ...axis, size: 48, values: (_u, ticks) => ticks.map((t) => `${t}${unit}`) }],
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.colour, fill: `${s.colour}33`, width: 2, points: { show: false } }))],
    };
    const u = new uPlot(opts, [[], ...series.map(() => [])], el);
    plot.current = u;
    const resize = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
    // Rebuilt only when the series change shape; data goes through setData below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shape, height, max, unit]);

  useEffect(() => {
    plot.current?.setData([times.map((t) => t / 1000), ...series.map((s) => [...s.values])]);
  }, [times, series]);

  const latest = series.map((s) => `${s.label} ${(s.values.at(-1) ?? 0).toFixed(0)}${unit}`).join(', ');
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div className="chart-frame" style={{ height: height + 40 }}>
        <div ref={box} className="chart-box" aria-hidden="true" />
        {times.length === 0 && <p className="chart-empty">Waiting for the first samples…</p>}
      </div>
      <p className="sr-only" aria-live="off">{times.length ? `Latest: ${latest}` : 'No samples yet'}</p>
    </figure>
  );
}
