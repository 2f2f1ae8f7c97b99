// ClientClaims: two connections for one client id on two nodes end with exactly one (the higher epoch).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientClaims } from '../../src/cluster/client-claims.js';

test('v5 [MQTT-3.1.4-3] a remote claim with a higher epoch closes the local connection; a lower one does not', () => {
  const claims = new ClientClaims();
  claims.resolve('x', claims.begin('x'), 5);
  assert.equal(claims.remote('x', 3), false);
  assert.equal(claims.remote('x', 7), true);
  assert.equal(claims.size, 0);
});

test('v5 [MQTT-3.1.4-3] a remote claim heard before the local epoch is known is decided when it arrives', () => {
  const claims = new ClientClaims();
  const early = claims.begin('x');
  assert.equal(claims.remote('x', 9), false); // not yet: ours may be newer
  assert.equal(claims.resolve('x', early, 8), true); // it was not: close ours
  const late = claims.begin('y');
  assert.equal(claims.remote('y', 2), false);
  assert.equal(claims.resolve('y', late, 4), false); // ours is newer: keep it
});

test('release returns the epoch to clear the registry with, and a newer local connection replaces an older claim', () => {
  const claims = new ClientClaims();
  const first = claims.begin('x');
  const second = claims.begin('x');
  assert.equal(claims.resolve('x', first, 1), false);
  claims.resolve('x', second, 2);
  assert.equal(claims.release('x'), 2);
  assert.equal(claims.release('x'), undefined);
});
