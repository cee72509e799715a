// Child process for the kill -9 test: a job service whose executor holds every job, submitting
// jobs one by one and printing each id only after submit() returned (the journal is fsynced then).
import { pino } from 'pino';
import { createJobService } from '../../../agent/src/jobs/service.ts';
import { createScriptedExecutor } from './scripted-executor.ts';

const dataDir = process.argv[2]!;
const jobs = createJobService({ dataDir, log: pino({ level: 'silent' }), executor: createScriptedExecutor({ slots: 2 }) });
await jobs.start();
for (let i = 0; ; i++) {
  const job = jobs.submit({ name: `crash-${i}`, inputs: [{ path: '/job/n', content: String(i) }], executors: [{ image: 'phantom-guest', command: i % 3 === 0 ? ['echo', String(i)] : ['hold'] }] });
  process.stdout.write(`${job.id}\n`);
  if (i % 4 === 3) {
    jobs.cancel(job.id);
    // Printed after cancel() returned: only an acknowledged cancel must survive the kill.
    process.stdout.write(`canceled ${job.id}\n`);
  }
  await new Promise((r) => setImmediate(r));
}
