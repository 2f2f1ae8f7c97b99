// argon2id runs in one worker thread with a bounded queue, so a burst of logins neither stalls the broker's
// event loop nor allocates `m` KiB per concurrent login.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { argon2idInWorker, MAX_PENDING } from '../../src/auth/argon2-worker.js';

const job = { password: Buffer.from('pw'), salt: Buffer.from('saltsalt1234'), memoryKiB: 64, passes: 1, parallelism: 1, length: 32 };

test('the worker computes the same argon2id as the reference implementation', async () => {
  const ref = spawnSync('argon2', ['saltsalt1234', '-id', '-t', '1', '-k', '64', '-p', '1', '-l', '32', '-r'], { input: 'pw', encoding: 'utf8' });
  assert.equal(ref.status, 0, ref.stderr);
  assert.equal((await argon2idInWorker(job)).toString('hex'), ref.stdout.trim());
});

test('at most MAX_PENDING verifications wait; the next is refused at once instead of queueing without bound', async () => {
  const burst = Array.from({ length: MAX_PENDING }, () => argon2idInWorker(job));
  await assert.rejects(argon2idInWorker(job), /too many/);
  const hashes = await Promise.all(burst);
  assert.equal(new Set(hashes.map((h) => h.toString('hex'))).size, 1);
  assert.equal((await argon2idInWorker(job)).length, 32, 'accepted again once the queue drained');
});
