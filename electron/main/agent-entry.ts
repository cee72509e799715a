// The agent process the app starts through utilityProcess.fork: it runs the same CLI bundle as the
// `phantom` command (dist/agent/phantom.mjs), so app and command line never drift apart.
import { AGENT_ARGS_MARKER } from './agent-spawners.ts';

const at = process.argv.indexOf(AGENT_ARGS_MARKER);
const bundle = new URL('../agent/phantom.mjs', import.meta.url).href;
const { runCli } = (await import(bundle)) as { runCli(argv: string[]): Promise<void> };
await runCli(at >= 0 ? process.argv.slice(at + 1) : ['agent']);
