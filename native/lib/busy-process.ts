// Test support: a real Node process with N worker threads that spin, reporting each worker's
// kernel thread id (read from /proc/thread-self, which Node does not expose otherwise).
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface BusyProcess {
  readonly proc: ChildProcess;
  readonly pid: number;
  /** Kernel thread ids of the busy workers. */
  readonly workerTids: readonly number[];
  stop(): Promise<void>;
}

const childSource = `
const { Worker } = require('node:worker_threads');
const n = Number(process.argv[1]);
const worker = "const { readlinkSync } = require('node:fs');" +
  "const { parentPort } = require('node:worker_threads');" +
  "parentPort.postMessage(Number(readlinkSync('/proc/thread-self').split('/').pop()));" +
  "for (;;) { for (let i = 0; i < 1e6; i++); }";
const tids = [];
for (let i = 0; i < n; i++) {
  new Worker(worker, { eval: true }).once('message', (tid) => {
    tids.push(tid);
    if (tids.length === n) process.stdout.write(JSON.stringify(tids) + '\\n');
  });
}
`;

/** Starts the process and resolves once every worker runs and has reported its tid. */
export async function startBusyProcess(workers: number): Promise<BusyProcess> {
  const proc = spawn(process.execPath, ['-e', childSource, String(workers)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: proc.stdout! });
    rl.once('line', (l) => {
      rl.close();
      resolve(l);
    });
    proc.once('exit', (code) => reject(new Error(`busy process exited (${code}) before its workers started`)));
  });
  return {
    proc,
    pid: proc.pid!,
    workerTids: JSON.parse(line) as number[],
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}
