import { useEffect, useMemo } from 'react';
import { useClient } from '../api/context.tsx';
import { Chart } from '../components/Chart.tsx';
import { duration, gib, ROLE_LABELS } from '../lib/format.ts';
import { useStatus } from '../stores/status.ts';
import { machineCpu, useUsage } from '../stores/usage.ts';
import { hostedHere, useJobs } from '../stores/jobs.ts';

const REFRESH_MS = 2000;
const OWNER = '#c98a12';
const GRID = '#3558d4';

function Tile({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="tile">
      <span className="tile-label">{label}</span>
      <span className="tile-value" data-testid={testId}>
        {value}
      </span>
    </div>
  );
}

export function DashboardScreen() {
  const client = useClient();
  const status = useStatus((s) => s.status);
  const { samples, available, error, load } = useUsage();
  const jobs = useJobs((s) => s.jobs);
  const loadJobs = useJobs((s) => s.load);
  const hosted = hostedHere(jobs, status?.peerId);

  useEffect(() => {
    const tick = () => {
      void load(client);
      void loadJobs(client);
    };
    tick();
    const t = setInterval(tick, REFRESH_MS);
    return () => clearInterval(t);
  }, [client, load, loadJobs]);

  const series = useMemo(() => {
    const cpu = samples.map(machineCpu);
    return {
      times: samples.map((s) => s.t),
      cpu: [
        { label: 'You', colour: OWNER, values: cpu.map((c) => c.owner) },
        { label: 'Grid', colour: GRID, values: cpu.map((c) => c.grid) },
      ],
      mem: [
        { label: 'You', colour: OWNER, values: samples.map((s) => s.ownerMemMiB / 1024) },
        { label: 'Grid', colour: GRID, values: samples.map((s) => s.gridMemMiB / 1024) },
      ],
    };
  }, [samples]);

  return (
    <section aria-labelledby="dash-title">
      <h1 id="dash-title">Dashboard</h1>
      <div className="tiles">
        <Tile label="Role" value={status ? ROLE_LABELS[status.role] : '…'} testId="role" />
        <Tile label="Sub-grid" value={status && status.role !== 'unjoined' ? 'joined' : 'none yet'} />
        <Tile label="Region" value={status && status.role !== 'unjoined' ? 'this LAN' : 'none yet'} />
        <Tile label="Up" value={status ? duration(status.uptimeSeconds) : '…'} />
        <Tile label="Hosting" value={`${hosted.length} job${hosted.length === 1 ? '' : 's'}`} testId="hosting" />
        <Tile label="Donating" value={status ? `${status.limits.cpuPercent}% CPU · ${status.limits.memoryMiB === null ? 'auto' : gib(status.limits.memoryMiB)}` : '…'} testId="dash-limits" />
      </div>
      {hosted.length > 0 && (
        <ul className="card hosted" aria-label="Jobs hosted here">
          {hosted.map((j) => (
            <li key={j.id}>
              <span>{j.name ?? j.command.join(' ')}</span>
              {j.progress !== null && <progress max={100} value={Math.round(j.progress * 100)} aria-label={`${j.name ?? j.id} progress`} />}
            </li>
          ))}
        </ul>
      )}
      <div className="charts">
        {available === false ? (
          <p className="card muted chart-placeholder" data-testid="usage-unavailable">
            This agent does not report usage samples yet; the charts of your use against the grid&apos;s appear here once it does.
            {error ? ` (${error})` : ''}
          </p>
        ) : (
          <>
            <Chart title="CPU: you and the grid (% of the machine)" times={series.times} series={series.cpu} unit="%" max={100} />
            <Chart title="Memory: you and the grid (GiB)" times={series.times} series={series.mem} unit=" GiB" max={status ? status.resources.memoryMiB / 1024 : undefined} />
          </>
        )}
      </div>
    </section>
  );
}
