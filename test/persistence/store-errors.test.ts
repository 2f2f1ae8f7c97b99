// A store that cannot be used stops the start with one line naming the file or directory and a non-zero exit
// code; glassmq never silently starts over with an empty store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_ENTRY, REPO_ROOT, freePort, runGlassmq } from '../helpers/net.js';

const NOBODY = 65_534;

function tempDir(t: { after(fn: () => void): void }): string {
  const d = mkdtempSync(join(tmpdir(), 'glassmq-err-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.trim() !== '');
}

test('a corrupt database file stops the start: exit code 1, one line naming the file, the file left as it was', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'glassmq.db');
  const junk = Buffer.alloc(4096, 0x5a);
  writeFileSync(file, junk);
  const r = await runGlassmq(['broker', '--port', String(await freePort()), '--data-dir', dir]);
  assert.equal(r.code, 1);
  const lines = errorLines(r.stderr);
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^glassmq broker: /);
  assert.ok(lines[0]!.includes(file), lines[0]);
  assert.match(lines[0]!, /not a glassmq database or damaged/);
  assert.deepEqual(readFileSync(file), junk, 'never reset');
});

test('a read-only data directory stops the start: exit code 1, one line naming the directory', async (t) => {
  const dir = tempDir(t);
  chmodSync(dir, 0o555);
  // root writes through permission bits: run the broker as an unprivileged user then
  const asRoot = process.getuid?.() === 0;
  const child = spawn(process.execPath, ['--import', 'tsx', CLI_ENTRY, 'broker', '--port', String(await freePort()), '--data-dir', dir], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(asRoot ? { uid: NOBODY, gid: NOBODY, env: { ...process.env, HOME: tmpdir() } } : {}),
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.resume();
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  assert.equal(code, 1, stderr);
  const lines = errorLines(stderr);
  assert.equal(lines.length, 1, stderr);
  assert.ok(lines[0]!.includes(dir), lines[0]);
  assert.match(lines[0]!, /not writable/);
});

test('--sync takes only normal or full', async () => {
  const r = await runGlassmq(['broker', '--sync', 'sometimes', '--memory']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--sync: expected normal or full/);
});
