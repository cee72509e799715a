import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { createAgent } from '../../agent.ts';
import { dataFiles, resolveDataDir } from '../../config/paths.ts';
import { createLogger } from '../../log.ts';
import { Exit, UsageError, type Command } from '../command.ts';
import { dataDirOption, parseCommandArgs } from '../parse.ts';

const help = `usage: phantom agent [--data-dir DIR] [--api-port N] [--listen MULTIADDR]... [--ui DIR] [--print-login-url] [--verbose]

Runs this machine's grid node in the foreground until SIGINT or SIGTERM.

  --api-port N        control API port on 127.0.0.1 (default: any free port, written to control.json)
  --listen MULTIADDR  libp2p listen address (default /ip4/127.0.0.1/tcp/0); repeatable
  --ui DIR            serve the built UI from DIR (browser fallback)
  --print-login-url   print a one-time URL that logs a browser into the UI
  --verbose           also write the JSON log to stderr (it always goes to <data dir>/logs/agent.log)

Environment: PHANTOM_DATA_DIR (data dir), PHANTOM_CGROUP_ROOT (name of this agent's top cgroup,
default phantom-grid: set it when several agents share one machine).`;

export const command: Command = {
  name: 'agent',
  summary: 'run this machine\'s grid node (daemon)',
  help,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, {
      ...dataDirOption,
      'api-port': { type: 'string' },
      listen: { type: 'string', multiple: true },
      ui: { type: 'string' },
      'print-login-url': { type: 'boolean' },
      verbose: { type: 'boolean' },
    });
    let apiPort: number | undefined;
    if (values['api-port'] !== undefined) {
      apiPort = Number(values['api-port']);
      if (!Number.isInteger(apiPort) || apiPort < 0 || apiPort > 65535) throw new UsageError(`--api-port: "${values['api-port']}" is not a port number`);
    }
    const uiDir = values.ui ? resolve(values.ui) : undefined;
    if (uiDir && !existsSync(`${uiDir}/index.html`)) throw new UsageError(`--ui: ${uiDir} has no index.html (build it with \`npm run build:ui\`)`);
    const dataDir = resolveDataDir(values['data-dir'], io.env);
    const log = createLogger({ file: dataFiles(dataDir).log, stderr: values.verbose ?? false });
    const agent = await createAgent({
      dataDir,
      log,
      ...(uiDir ? { uiDir } : {}),
      ...(apiPort !== undefined ? { apiPort } : {}),
      ...(values.listen ? { p2pListen: values.listen } : {}),
      ...(io.env.PHANTOM_CGROUP_ROOT ? { cgroupRoot: io.env.PHANTOM_CGROUP_ROOT } : {}),
    });
    await agent.start();
    const s = agent.status();
    io.out(`phantom agent ${s.version}: node ${s.peerId} running (data dir ${dataDir})`);
    if (values['print-login-url']) io.out(`open the UI: ${agent.loginUrl()}`);

    await new Promise<void>((done) => {
      const stop = (signal: string) => {
        log.info({ signal }, 'shutting down');
        agent.stop().then(done, (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          done();
        });
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
    log.flush();
    return Exit.ok;
  },
};
