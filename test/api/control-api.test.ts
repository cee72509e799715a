import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { ApiError, DonationLimits, NodeStatus } from '../../contract/index.ts';
import { removeDir, startAgent, type AgentProcess } from '../support/agent-process.ts';

let agent: AgentProcess;

beforeAll(async () => {
  agent = await startAgent();
});
afterAll(async () => {
  await agent.stop();
  removeDir(agent.dataDir);
});

/** Raw HTTP so the test controls Host and Origin exactly as an attacker's browser could. */
function raw(method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; json: unknown; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: agent.port, method, path, headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers } }, (res) => {
      let data = '';
      res.on('data', (d: Buffer) => (data += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: data ? (JSON.parse(data) as unknown) : null, headers: res.headers }));
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

const auth = () => ({ authorization: `Bearer ${agent.token}` });
const limitsOnDisk = () => (JSON.parse(readFileSync(join(agent.dataDir, 'config.json'), 'utf8')) as { limits: DonationLimits }).limits;

describe('control API', () => {
  it('serves the node status to the token holder', async () => {
    const res = await raw('GET', '/api/v1/status', auth());
    expect(res.status).toBe(200);
    const status = NodeStatus.parse(res.json);
    expect(status.state).toBe('running');
    expect(status.peerId).toMatch(/^12D3KooW/);
    expect(status.resources.cores).toBeGreaterThan(0);
    expect(status.resources.flops).toBeGreaterThan(0);
  });

  it('changes limits with a valid request and persists them', async () => {
    const res = await raw('PUT', '/api/v1/limits', auth(), JSON.stringify({ cpuPercent: 35 }));
    expect(res.status).toBe(200);
    expect(DonationLimits.parse(res.json).cpuPercent).toBe(35);
    expect(limitsOnDisk().cpuPercent).toBe(35);
  });

  it.each([
    ['an out-of-range value', { cpuPercent: 150 }, 'cpuPercent'],
    ['a wrong type', { pauseOnBattery: 'yes' }, 'pauseOnBattery'],
    ['an unknown field', { turbo: true }, ''],
    ['more memory than the machine has', { memoryMiB: 16 * 1024 * 1024 - 1 }, 'memoryMiB'],
    ['a core the machine lacks', { cores: [0, 512] }, 'cores'],
  ])('refuses %s, names the field, changes nothing', async (_what, body, field) => {
    const before = limitsOnDisk();
    const res = await raw('PUT', '/api/v1/limits', auth(), JSON.stringify(body));
    expect(res.status).toBe(400);
    const err = ApiError.parse(res.json);
    expect(err.error.code).toBe('bad_request');
    if (field) expect(err.error.field).toBe(field);
    expect(err.error.message.length).toBeGreaterThan(5);
    expect(limitsOnDisk()).toEqual(before);
  });

  it('refuses malformed JSON and oversized bodies', async () => {
    expect((await raw('PUT', '/api/v1/limits', auth(), '{"cpuPercent":')).status).toBe(400);
    const huge = JSON.stringify({ cpuPercent: 10, pad: 'x'.repeat(2 * 1024 * 1024) });
    const res = await raw('PUT', '/api/v1/limits', auth(), huge).catch(() => ({ status: 413 }));
    expect(res.status).toBe(413);
    expect(limitsOnDisk().cpuPercent).not.toBe(10);
  });

  it.each([
    ['no token', {}],
    ['a wrong token', { authorization: 'Bearer ' + '0'.repeat(64) }],
    ['a malformed header', { authorization: 'Basic abc' }],
  ])('refuses %s and changes nothing', async (_what, headers) => {
    const before = limitsOnDisk();
    const get = await raw('GET', '/api/v1/status', headers);
    expect(get.status).toBe(401);
    const put = await raw('PUT', '/api/v1/limits', headers, JSON.stringify({ cpuPercent: 5 }));
    expect(put.status).toBe(401);
    expect(limitsOnDisk()).toEqual(before);
  });

  it('refuses a foreign Origin even with the right token, and changes nothing', async () => {
    const before = limitsOnDisk();
    const res = await raw('PUT', '/api/v1/limits', { ...auth(), origin: 'http://evil.example' }, JSON.stringify({ cpuPercent: 5 }));
    expect(res.status).toBe(403);
    expect(limitsOnDisk()).toEqual(before);
    const same = await raw('GET', '/api/v1/status', { ...auth(), origin: `http://127.0.0.1:${agent.port}` });
    expect(same.status).toBe(200);
  });

  it('refuses a rebound Host name', async () => {
    const res = await raw('GET', '/api/v1/status', { ...auth(), host: `attacker.example:${agent.port}` });
    expect(res.status).toBe(403);
  });

  it('answers unknown endpoints and wrong methods clearly', async () => {
    expect((await raw('GET', '/api/v1/nope', auth())).status).toBe(404);
    expect((await raw('DELETE', '/api/v1/limits', auth())).status).toBe(405);
  });

  it('exchanges a one-time login code for a session cookie exactly once', async () => {
    const login = await raw('POST', '/api/v1/ui/login', auth());
    expect(login.status).toBe(200);
    const url = new URL((login.json as { url: string }).url);
    const first = await raw('GET', `${url.pathname}${url.search}`, {});
    expect(first.status).toBe(303);
    const cookie = String((first.headers['set-cookie'] as string[])[0]);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const session = cookie.split(';')[0]!;
    expect((await raw('GET', '/api/v1/status', { cookie: session })).status).toBe(200);
    expect((await raw('GET', '/api/v1/status', { cookie: 'phantom_session=forged' })).status).toBe(401);
    const again = await raw('GET', `${url.pathname}${url.search}`, {});
    expect(again.status).toBe(401);
  });
});
