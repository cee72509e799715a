import { useStatus } from '../stores/status.ts';
import { usePrefs, type ThemeChoice } from '../stores/prefs.ts';

const THEMES: { value: ThemeChoice; label: string }[] = [
  { value: 'system', label: 'Follow the system' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

export function SettingsScreen() {
  const status = useStatus((s) => s.status);
  const { theme, setTheme } = usePrefs();
  return (
    <section aria-labelledby="settings-title">
      <h1 id="settings-title">Settings and about</h1>
      <fieldset className="card themes">
        <legend>Appearance</legend>
        {THEMES.map((t) => (
          <label key={t.value} className="radio">
            <input type="radio" name="theme" value={t.value} checked={theme === t.value} onChange={() => setTheme(t.value)} />
            {t.label}
          </label>
        ))}
      </fieldset>
      <h2>About this node</h2>
      {status ? (
        <dl className="status card">
          <div className="row">
            <dt>Version</dt>
            <dd data-testid="version">Phantom Grid {status.version}</dd>
          </div>
          <div className="row">
            <dt>Identity</dt>
            <dd data-testid="identity">{status.peerId}</dd>
          </div>
          <div className="row">
            <dt>Data folder</dt>
            <dd data-testid="data-dir">{status.dataDir}</dd>
          </div>
          <div className="row">
            <dt>Logs</dt>
            <dd>{`${status.dataDir}/logs/agent.log`}</dd>
          </div>
          <div className="row">
            <dt>Listening on</dt>
            <dd>{status.listenAddrs.join(', ') || 'not listening'}</dd>
          </div>
          <div className="row">
            <dt>Machine</dt>
            <dd>
              {status.resources.cpuModel} · {status.resources.os} {status.resources.arch}
            </dd>
          </div>
        </dl>
      ) : (
        <p aria-busy="true">Connecting to the agent…</p>
      )}
    </section>
  );
}
