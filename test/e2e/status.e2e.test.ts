import { describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { NodeStatus } from '../../contract/index.ts';
import { launchers } from '../support/launchers.ts';
import { repoRoot, runPhantom } from '../support/agent-process.ts';

const shots = join(repoRoot, 'test-results/screenshots');

for (const launcher of launchers) {
  const skip = launcher.skipReason();
  describe.skipIf(skip !== null)(`status screen (${launcher.name}${skip ? `: skipped, ${skip}` : ''})`, () => {
    it('shows the node the agent reports', async () => {
      const app = await launcher.open();
      try {
        const status = NodeStatus.parse(JSON.parse((await runPhantom(['status', '--json', '--data-dir', app.dataDir])).stdout));
        await expect.poll(() => app.page.getByTestId('peer-id').textContent(), { timeout: 20_000 }).toBe(status.peerId);
        expect(await app.page.getByTestId('cores').textContent()).toContain(`${status.resources.cores} cores`);
        expect(await app.page.getByTestId('cpu-limit').textContent()).toContain(`${status.limits.cpuPercent}%`);
        expect(await app.page.getByTestId('state').textContent()).toContain('running');
        await expect.poll(() => app.page.getByRole('alert').count()).toBe(0);
        mkdirSync(shots, { recursive: true });
        await app.page.screenshot({ path: join(shots, `status-${launcher.name}-light.png`) });
      } finally {
        await app.close();
      }
    });
  });
}
