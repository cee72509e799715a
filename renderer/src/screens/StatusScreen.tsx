import { useStatus } from '../stores/status.ts';

function Row({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="row">
      <dt>{label}</dt>
      <dd data-testid={testId}>{value}</dd>
    </div>
  );
}

export function StatusScreen() {
  // App polls the status for every screen (useAgentPolling).
  const { status, error } = useStatus();

  return (
    <section aria-labelledby="status-title">
      <h1 id="status-title">This node</h1>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {!status && !error && <p aria-busy="true">Connecting to the agent…</p>}
      {status && (
        <dl className="status card">
          <Row label="Node" value={status.peerId} testId="peer-id" />
          <Row label="State" value={`${status.state} · ${status.role}`} testId="state" />
          <Row label="Machine" value={`${status.resources.cores} cores · ${status.resources.cpuModel}`} testId="cores" />
          <Row label="Memory" value={`${(status.resources.memoryMiB / 1024).toFixed(1)} GiB`} testId="memory" />
          <Row label="Speed" value={`${(status.resources.flops / 1e6).toFixed(0)} MFLOPS`} />
          <Row label="Donating" value={`${status.limits.cpuPercent}% CPU`} testId="cpu-limit" />
          <Row label="Up" value={`${status.uptimeSeconds} s`} />
          <Row label="Version" value={status.version} />
          {status.nativeAddonError && <Row label="Warning" value={status.nativeAddonError} />}
        </dl>
      )}
    </section>
  );
}
