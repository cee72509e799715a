import { StatusScreen } from './screens/StatusScreen.tsx';

export function App() {
  return (
    <div className="app">
      <header className="topbar">
        <span className="brand">Phantom Grid</span>
      </header>
      <main>
        <StatusScreen />
      </main>
    </div>
  );
}
