import { useEffect } from 'react';
import type { ApiClient } from '../api/client.ts';
import { usePause } from '../stores/pause.ts';
import { useStatus } from '../stores/status.ts';

export const REFRESH_MS = 2000;

/** Status and pause state for every screen, read every two seconds while the page is open. */
export function useAgentPolling(client: ApiClient): void {
  const refresh = useStatus((s) => s.refresh);
  const loadPause = usePause((s) => s.load);
  useEffect(() => {
    const tick = () => {
      void refresh(client);
      void loadPause(client);
    };
    tick();
    const timer = setInterval(tick, REFRESH_MS);
    return () => clearInterval(timer);
  }, [client, refresh, loadPause]);
}
