// The broker answers a CONNECT on its fast path only when authenticate() returns a plain value: anonymous access
// and verified certificates must not pay for a Promise, while password checks and throttled addresses still do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Authenticator } from '../../src/auth/authenticator.js';
import { createAuthHooks } from '../../src/auth/auth-hooks.js';
import { createPbkdf2Hash } from '../../src/auth/password-hash.js';
import type { LinkInfo } from '../../src/broker/ports.js';
import { tempDir } from './mosquitto-peer.js';

const link = (remoteAddress: string): LinkInfo => ({
  transport: 'tcp', listener: 'tcp:test', remoteAddress, remotePort: 5000, localAddress: '127.0.0.1', localPort: 1883,
});

test('anonymous CONNECT with anonymous access allowed is accepted synchronously (no Promise)', () => {
  const hooks = createAuthHooks(() => ({ authenticator: new Authenticator({ allowAnonymous: true }), acl: null }));
  assert.equal(hooks.authenticate({ clientId: 'a', link: link('10.0.0.1') }), true);
});

test('a user name and password go through the password check (a Promise), and a failed login makes that address async', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'passwd');
  writeFileSync(file, `alice:${await createPbkdf2Hash(Buffer.from('secret'))}\n`);
  const hooks = createAuthHooks(() => ({ authenticator: new Authenticator({ allowAnonymous: true, passwordFile: file }), acl: null }));
  const good = hooks.authenticate({ clientId: 'a', username: 'alice', password: Buffer.from('secret'), link: link('10.0.0.2') });
  assert.ok(good instanceof Promise);
  assert.equal(await good, true);
  const bad = hooks.authenticate({ clientId: 'b', username: 'alice', password: Buffer.from('wrong'), link: link('10.0.0.2') });
  assert.ok(bad instanceof Promise);
  assert.notEqual(await bad, true);
  // after a failure the throttle may hold this address, so even anonymous access is decided asynchronously
  const after = hooks.authenticate({ clientId: 'c', link: link('10.0.0.2') });
  assert.ok(after instanceof Promise);
  assert.equal(await after, true);
  // another address keeps the fast path
  assert.equal(hooks.authenticate({ clientId: 'd', link: link('10.0.0.3') }), true);
});
