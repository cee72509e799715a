import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { ClientProvider } from './api/context.tsx';
import { defaultClient } from './api/client.ts';
import './styles.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ClientProvider client={defaultClient()}>
      <App />
    </ClientProvider>
  </StrictMode>,
);
