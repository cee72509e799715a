import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Where a node keeps its identity, config, token and logs: `--data-dir`, else $PHANTOM_DATA_DIR,
 * else the XDG data home. One folder per node, so several agents can share a machine in tests.
 */
export function resolveDataDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return resolve(explicit);
  if (env.PHANTOM_DATA_DIR) return resolve(env.PHANTOM_DATA_DIR);
  const xdg = env.XDG_DATA_HOME && env.XDG_DATA_HOME.startsWith('/') ? env.XDG_DATA_HOME : join(homedir(), '.local', 'share');
  return join(xdg, 'phantom-grid');
}

export const dataFiles = (dataDir: string) => ({
  identity: join(dataDir, 'identity.key'),
  config: join(dataDir, 'config.json'),
  token: join(dataDir, 'control.token'),
  control: join(dataDir, 'control.json'),
  logs: join(dataDir, 'logs'),
  log: join(dataDir, 'logs', 'agent.log'),
});
