// log_dest and log_type from mosquitto.conf: lines appended to a file, to stdout, published on
// $SYS/broker/log/<L> (as mosquitto's `log_dest topic`), a level chosen by log_type, syslog refused with a note,
// and a log file that cannot be opened stopping the start with one line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnGlassmq, stopProcess, waitForPort } from '../helpers/net.js';
import { connect, freePort, startGlassmq, START_MS, stop, tempDir, writeLines } from './harness.js';

type After = { after(fn: () => Promise<void> | void): void };

async function conf(t: After, lines: string[]): Promise<{ dir: string; port: number; conf: string }> {
  const dir = tempDir(t);
  const port = await freePort();
  return { dir, port, conf: writeLines(dir, 'm.conf', [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', ...lines]) };
}

test('log_dest file PATH appends the connection lines to the file (earlier content kept)', async (t) => {
  const dir = tempDir(t);
  const logFile = join(dir, 'broker.log');
  writeFileSync(logFile, 'earlier line\n');
  const c = await conf(t, [`log_dest file ${logFile}`, 'log_dest stdout']);
  const broker = await startGlassmq(t, c.conf, c.port);
  const client = await connect(c.port, { clientId: 'logged-client' });
  await client.endAsync();
  await broker.waitFor(/client disconnected clientId=logged-client/);
  await stop(broker);
  const text = readFileSync(logFile, 'utf8');
  assert.ok(text.startsWith('earlier line\n'), 'appended, not truncated');
  assert.match(text, /INFO client connected clientId=logged-client/);
  assert.match(text, /INFO client disconnected clientId=logged-client/);
  assert.match(text, /glassmq \S+ running/);
});

test('log_type error: no connection (info) lines are written', async (t) => {
  const dir = tempDir(t);
  const logFile = join(dir, 'broker.log');
  const c = await conf(t, [`log_dest file ${logFile}`, 'log_type error']);
  const { port } = c;
  const child = spawnGlassmq(['broker', '-c', c.conf]);
  t.after(() => stopProcess(child));
  await waitForPort(port, '127.0.0.1', START_MS);
  const client = await connect(port, { clientId: 'quiet-client' });
  await client.endAsync();
  await stopProcess(child);
  assert.doesNotMatch(readFileSync(logFile, 'utf8'), /INFO|client connected/);
});

test('log_dest topic publishes log lines on $SYS/broker/log/N (as mosquitto), next to stderr', async (t) => {
  const c = await conf(t, ['log_dest topic', 'log_dest stderr']);
  await startGlassmq(t, c.conf, c.port);
  const watcher = await connect(c.port, { clientId: 'watcher' });
  t.after(() => watcher.endAsync(true));
  const lines: string[] = [];
  watcher.on('message', (topic, payload) => lines.push(`${topic} ${payload.toString()}`));
  await watcher.subscribeAsync('$SYS/broker/log/#');
  const other = await connect(c.port, { clientId: 'seen-client' });
  await other.endAsync();
  const deadline = Date.now() + START_MS;
  while (!lines.some((l) => /client disconnected clientId=seen-client/.test(l)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.ok(lines.some((l) => /^\$SYS\/broker\/log\/N \S+ INFO client connected clientId=seen-client/.test(l)), lines.join('\n'));
});

test('log_dest syslog is refused with a start note (not silently dropped); the other destinations still log', async (t) => {
  const c = await conf(t, ['log_dest syslog', 'log_dest stderr']);
  const broker = await startGlassmq(t, c.conf, c.port);
  assert.match(broker.output(), /config: log_dest syslog is not supported by glassmq/);
});

test('log_dest file in a directory that does not exist stops the start with one line, exit 1', async (t) => {
  const c = await conf(t, [`log_dest file ${join(tempDir(t), 'missing', 'x.log')}`]);
  const child = spawnGlassmq(['broker', '-c', c.conf]);
  t.after(() => stopProcess(child));
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 1);
  assert.match(err, /^glassmq broker: log_dest file \S+x\.log: cannot open: ENOENT\n$/);
});
