// A VM host in its own process, driven by JSON lines on stdin, answering JSON lines on stdout:
// the two ends of a live migration run in separate processes, as two agents would.
//   {"op":"boot-run","spec":{...},"job":{...}}   → {"ev":"booted","qemuPid"} … {"ev":"progress","stdoutBytes"} … {"ev":"result",...}
//   {"op":"receive","spec":{...},"port":N}        → {"ev":"listening","qemuPid"} → {"ev":"received"} → {"ev":"result",...}
//   {"op":"migrate","port":N}                     → {"ev":"migrated","totalMs","downtimeMs","qemuPid","stdoutBytes"}
//   {"op":"exit"}
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { startTestHost } from './vm-support.ts';
import { JobRun } from '../../agent/src/vm/job-run.ts';
import type { Vm } from '../../agent/src/vm/vm.ts';

const spec = z.object({ id: z.string(), vcpus: z.number(), memoryMiB: z.number() });
const command = z.discriminatedUnion('op', [
  z.object({ op: z.literal('boot-run'), spec, job: z.object({ argv: z.array(z.string()) }) }),
  z.object({ op: z.literal('receive'), spec, port: z.number().int() }),
  z.object({ op: z.literal('migrate'), port: z.number().int() }),
  z.object({ op: z.literal('exit') }),
]);

const say = (v: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(v)}\n`);
const t = await startTestHost(process.env.VM_CONSOLE_LOGS ? { consoleLogs: true } : {});
let vm: Vm | null = null;
let run: JobRun | null = null;

function report(r: JobRun): void {
  r.result.then(
    (res) => say({ ev: 'result', code: res.exit.code, stdout: res.stdout.toString(), stdoutBase: res.stdoutBase }),
    (e: Error) => say({ ev: 'result-error', message: e.message }),
  );
}

say({ ev: 'ready', accel: t.host.accel });
for await (const line of createInterface({ input: process.stdin })) {
  const parsed = command.safeParse(JSON.parse(line));
  if (!parsed.success) {
    say({ ev: 'error', message: parsed.error.message });
    continue;
  }
  const c = parsed.data;
  try {
    if (c.op === 'boot-run') {
      vm = await t.host.boot(c.spec);
      say({ ev: 'booted', qemuPid: vm.pid });
      const r = vm.run(c.job, { onOutput: () => say({ ev: 'progress', stdoutBytes: r.offsets().stdout }) });
      run = r;
      report(r);
    } else if (c.op === 'receive') {
      run = new JobRun();
      const incoming = await t.host.receive(c.spec, { port: c.port, resume: run });
      say({ ev: 'listening' });
      report(run);
      vm = await incoming.vm;
      say({ ev: 'received', qemuPid: vm.pid });
    } else if (c.op === 'migrate') {
      if (!vm) throw new Error('no guest here');
      const pid = vm.pid;
      const m = await vm.migrateTo(`tcp:127.0.0.1:${c.port}`);
      say({ ev: 'migrated', ...m, qemuPid: pid, stdoutBytes: run?.offsets().stdout ?? 0 });
    } else {
      break;
    }
  } catch (e) {
    say({ ev: 'error', message: (e as Error).message });
  }
}
await t.cleanup();
process.exit(0);
