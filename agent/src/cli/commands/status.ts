import type { NodeStatus } from '../../../../contract/index.ts';
import { AgentNotRunningError, createControlClient } from '../../api/client.ts';
import { resolveDataDir } from '../../config/paths.ts';
import { Exit, type Command } from '../command.ts';
import { dataDirOption, parseCommandArgs } from '../parse.ts';

const help = `usage: phantom status [--json] [--data-dir DIR]

Shows the running agent's identity, resources, limits and state.
Exits 3 when no agent is running for the data dir.`;

const gib = (mib: number) => `${(mib / 1024).toFixed(1)} GiB`;

export function formatStatus(s: NodeStatus): string {
  const l = s.limits;
  return [
    `node        ${s.peerId}`,
    `state       ${s.state} (${s.role}), up ${s.uptimeSeconds} s, version ${s.version}`,
    `listening   ${s.listenAddrs.join(', ') || '(none)'}`,
    `machine     ${s.resources.cores} cores ${s.resources.cpuModel}, ${gib(s.resources.memoryMiB)}, ${(s.resources.flops / 1e6).toFixed(0)} MFLOPS measured`,
    `donating    ${l.cpuPercent}% CPU on ${l.cores ? `cores ${l.cores.join(',')}` : 'all cores'}, memory ${l.memoryMiB === null ? '25% of the machine' : `${l.memoryMiB} MiB`}, disk ${gib(l.diskMiB)}`,
    `data dir    ${s.dataDir}`,
    ...(s.nativeAddonError ? [`warning     ${s.nativeAddonError}`] : []),
  ].join('\n');
}

export const command: Command = {
  name: 'status',
  summary: 'show the running agent\'s identity, resources and state',
  help,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { ...dataDirOption, json: { type: 'boolean' } });
    const dataDir = resolveDataDir(values['data-dir'], io.env);
    try {
      const status = await createControlClient(dataDir).call('status');
      io.out(values.json ? JSON.stringify(status, null, 2) : formatStatus(status));
      return Exit.ok;
    } catch (err) {
      if (err instanceof AgentNotRunningError) {
        if (values.json) io.out(JSON.stringify({ running: false, error: err.message }));
        io.err(`phantom status: ${err.message}`);
        return Exit.noAgent;
      }
      throw err;
    }
  },
};
