import { useClient } from '../api/context.tsx';
import { tomorrowMorning, usePause } from '../stores/pause.ts';
import { useStatus } from '../stores/status.ts';

const HOUR_MS = 3_600_000;

const until = (iso: string) => new Date(iso).toLocaleString(undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit' });

/** The tray's pause menu, in the page: the browser fallback has no tray, and the app shows it too. */
export function PauseControl({ compact = false }: { compact?: boolean }) {
  const client = useClient();
  const { pause, busy, error, unavailable, pauseUntil, resume } = usePause();
  const agentState = useStatus((s) => s.status?.state);
  const paused = pause?.paused ?? agentState === 'paused';
  const off = busy || unavailable !== null;
  const why = unavailable ? `Pausing is not available: ${unavailable}` : undefined;
  return (
    <div className={`pause${compact ? ' compact' : ''}`} role="group" aria-label="Pause donating">
      <span className="pause-state" data-testid="pause-state" aria-live="polite">
        {paused ? (pause?.until ? `Paused until ${until(pause.until)}` : 'Paused') : 'Donating'}
      </span>
      {paused ? (
        <button type="button" disabled={off} title={why} onClick={() => void resume(client)} data-testid="resume">
          Resume
        </button>
      ) : (
        <>
          <button type="button" disabled={off} title={why} onClick={() => void pauseUntil(client, new Date(Date.now() + HOUR_MS))} data-testid="pause-1h">
            Pause 1 h
          </button>
          <button type="button" disabled={off} title={why} onClick={() => void pauseUntil(client, tomorrowMorning(new Date()))} data-testid="pause-tomorrow">
            Until tomorrow
          </button>
        </>
      )}
      {error && (
        <p role="alert" className="error small pause-error">
          Could not {paused ? 'resume' : 'pause'}: {error}
        </p>
      )}
    </div>
  );
}
