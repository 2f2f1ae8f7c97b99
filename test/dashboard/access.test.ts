// Who may use the HTTP listener: anyone on loopback; a token beyond it (Bearer header or ?token=).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { brokerWithDashboard, getJson } from './support.js';

/** GET with a chosen Host header (fetch does not allow setting it). */
function getWithHost(port: number, path: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { Host: host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('HTTP listener access', () => {
  test('bound to 0.0.0.0 without --http-token: a token is generated and required (401 without it)', async (t) => {
    const { dashboard } = await brokerWithDashboard(t, { host: '0.0.0.0' });
    assert.equal(dashboard.tokenGenerated, true);
    assert.match(dashboard.token ?? '', /^[0-9a-f]{32}$/);
    const url = `http://127.0.0.1:${dashboard.port}`;
    for (const path of ['/api/overview', '/api/clients', '/metrics', '/api/events']) {
      const res = await fetch(`${url}${path}`);
      assert.equal(res.status, 401, path);
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="glassmq"');
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'TOKEN_REQUIRED');
    }
    assert.equal((await fetch(`${url}/api/overview`, { headers: { Authorization: 'Bearer wrong' } })).status, 401);
    assert.equal((await fetch(`${url}/api/overview`, { headers: { Authorization: `Bearer ${dashboard.token}` } })).status, 200);
    assert.equal((await fetch(`${url}/metrics?token=${dashboard.token}`)).status, 200);
    // the health check and the UI shell stay open: they carry no broker data
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
  });

  test('bound to 0.0.0.0 with a given token: that token and no other', async (t) => {
    const { dashboard } = await brokerWithDashboard(t, { host: '0.0.0.0', token: 's3cret-token' });
    assert.equal(dashboard.tokenGenerated, false);
    const url = `http://127.0.0.1:${dashboard.port}`;
    assert.equal((await getJson(`${url}/api/overview?token=nope`)).status, 401);
    assert.equal((await getJson(`${url}/api/overview?token=s3cret-token`)).status, 200);
  });

  test('bound to 127.0.0.1: no token needed, but a foreign Host header (DNS rebinding) is refused', async (t) => {
    const { dashboard } = await brokerWithDashboard(t);
    assert.equal(dashboard.token, undefined);
    assert.equal(await getWithHost(dashboard.port, '/api/overview', `127.0.0.1:${dashboard.port}`), 200);
    assert.equal(await getWithHost(dashboard.port, '/api/overview', `localhost:${dashboard.port}`), 200);
    assert.equal(await getWithHost(dashboard.port, '/api/overview', 'evil.example:80'), 403);
  });
});
