import { useEffect } from 'react';
import { useClient } from './api/context.tsx';
import { PauseControl } from './components/PauseControl.tsx';
import { useAgentPolling } from './lib/polling.ts';
import { useScreen, type Screen } from './lib/route.ts';
import { usePrefs } from './stores/prefs.ts';
import { DashboardScreen } from './screens/DashboardScreen.tsx';
import { JobsScreen } from './screens/JobsScreen.tsx';
import { DonateScreen } from './screens/DonateScreen.tsx';
import { SettingsScreen } from './screens/SettingsScreen.tsx';
import { StatusScreen } from './screens/StatusScreen.tsx';

const NAV: { screen: Screen; label: string }[] = [
  { screen: 'status', label: 'Overview' },
  { screen: 'donate', label: 'Donate' },
  { screen: 'dashboard', label: 'Dashboard' },
  { screen: 'jobs', label: 'Jobs' },
  { screen: 'settings', label: 'Settings' },
];

function useTheme() {
  const theme = usePrefs((s) => s.theme);
  useEffect(() => {
    const root = document.documentElement;
    if (theme === 'system') delete root.dataset.theme;
    else root.dataset.theme = theme;
  }, [theme]);
}

export function App() {
  const client = useClient();
  const screen = useScreen();
  useAgentPolling(client);
  useTheme();

  // The tray's popover: the sliders and the pause menu, nothing else.
  if (screen === 'popover') {
    return (
      <main className="popover">
        <PauseControl compact />
        <DonateScreen compact />
      </main>
    );
  }

  return (
    <div className="app">
      <a className="skip" href="#content">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Phantom Grid</span>
        <nav aria-label="Screens">
          <ul>
            {NAV.map((n) => (
              <li key={n.screen}>
                <a href={`#/${n.screen}`} aria-current={screen === n.screen ? 'page' : undefined} data-testid={`nav-${n.screen}`}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <PauseControl />
      </header>
      <main id="content" tabIndex={-1}>
        {screen === 'status' && <StatusScreen />}
        {screen === 'donate' && <DonateScreen />}
        {screen === 'dashboard' && <DashboardScreen />}
        {screen === 'jobs' && <JobsScreen />}
        {screen === 'settings' && <SettingsScreen />}
      </main>
    </div>
  );
}
