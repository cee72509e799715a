import type { spawn as nodeSpawn } from 'node:child_process';
import type { ForkOptions, UtilityProcess } from 'electron';
import type { AgentChild, SpawnAgent } from './agent-host.ts';

/** Marks where `phantom` arguments begin: utilityProcess and node put different things before them. */
export const AGENT_ARGS_MARKER = '--phantom-agent';

/**
 * The app's way: Electron's utilityProcess runs the agent entry on Electron's own Node, with no
 * extra runtime to ship and no ELECTRON_RUN_AS_NODE (that fuse is off).
 */
export function utilityProcessSpawner(
  utilityProcess: { fork(modulePath: string, args?: string[], options?: ForkOptions): UtilityProcess },
  entry: string,
  env: Record<string, string | undefined>,
): SpawnAgent {
  return (args) => {
    const proc = utilityProcess.fork(entry, [AGENT_ARGS_MARKER, ...args], { serviceName: 'Phantom Grid agent', stdio: 'ignore', env });
    return {
      get pid() {
        return proc.pid;
      },
      onExit: (listener) => void proc.once('exit', (code) => listener(code)),
      kill(force) {
        if (force && proc.pid !== undefined) process.kill(proc.pid, 'SIGKILL');
        else proc.kill();
      },
    };
  };
}

/** Headless hosts and tests: `node bin/phantom.js agent …` as a child process. */
export function childProcessSpawner(spawn: typeof nodeSpawn, nodePath: string, phantomBin: string, env: NodeJS.ProcessEnv = process.env): SpawnAgent {
  return (args) => {
    const proc = spawn(nodePath, [phantomBin, ...args], { stdio: 'ignore', env });
    const child: AgentChild = {
      pid: proc.pid,
      onExit: (listener) => void proc.once('exit', (code) => listener(code)),
      kill: (force) => void proc.kill(force ? 'SIGKILL' : 'SIGTERM'),
    };
    return child;
  };
}
