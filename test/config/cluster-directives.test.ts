// [cluster] `cluster URL` and `node_id ID` in a mosquitto.conf: the same URL check as --cluster (standalone,
// Sentinel, Redis Cluster), flags win over the file, passwords masked by --test-config, and a broker started from
// the file alone joins the cluster on a real redis-server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { loadBrokerConfig, renderEffectiveConfig } from '../../src/config/config-file.js';
import { ConfigError, parseMosquittoConf } from '../../src/config/mosquitto-conf.js';
import { spawnGlassmq, stopProcess } from '../helpers/net.js';
import { BOUND, Cleanup, startRedis, STARTUP_MS } from '../cluster/support.js';

function confFile(t: { after(fn: () => void): void }, lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'glassmq-conf-cluster-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'glassmq.conf');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

function configError(text: string): ConfigError {
  try {
    parseMosquittoConf(text, '/etc/glassmq.conf');
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err;
  }
  assert.fail(`expected a ConfigError for ${text}`);
}

test('cluster accepts the Sentinel and Redis Cluster forms as well as redis://', () => {
  for (const url of ['redis://127.0.0.1:6379/2', 'rediss://:pw@redis.example:6380', 'redis-sentinel://s1:26379,s2:26380/mymaster?db=1', 'redis-cluster://10.0.0.1:7000,10.0.0.2:7001']) {
    const m = parseMosquittoConf(`cluster ${url}\nnode_id n-1`, '/etc/glassmq.conf');
    assert.equal(m.glassmq.cluster, url);
    assert.equal(m.glassmq.nodeId, 'n-1');
  }
});

test('a bad cluster URL is BAD_VALUE at its line, naming the bad part, without the password', () => {
  const cases: Array<[string, RegExp]> = [
    ['cluster http://x', /expected redis:\/\/HOST:PORT/],
    ['cluster redis-sentinel://u:topsecret@s1:26379', /needs the master name/],
    ['cluster redis-cluster://h1:7000,h2:70000', /bad port "70000"/],
    ['cluster redis://h1:1,h2:2', /one HOST:PORT for redis:\/\//],
    ['cluster redis-cluster://h1:7000/3', /only database 0/],
    ['cluster redis-sentinel://s1/m?db=x', /bad database "x"/],
  ];
  for (const [text, message] of cases) {
    const err = configError(`# cluster\n${text}`);
    assert.equal(err.code, 'BAD_VALUE', text);
    assert.equal(err.line, 2, text);
    assert.match(err.message, /^\/etc\/glassmq\.conf:2: 'cluster': /);
    assert.match(err.message, message);
    assert.doesNotMatch(err.message, /topsecret/);
  }
});

test('flags win over the file: --cluster replaces the URL, --node-id the id; the file id stays without --node-id', (t) => {
  const file = confFile(t, ['cluster redis://10.0.0.5:6379', 'node_id from-file']);
  assert.deepEqual(load(['-c', file]).cluster, { url: 'redis://10.0.0.5:6379', nodeId: 'from-file' });
  assert.deepEqual(load(['-c', file, '--cluster', 'redis-cluster://h1:7000']).cluster, { url: 'redis-cluster://h1:7000', nodeId: 'from-file' });
  assert.deepEqual(load(['-c', file, '--node-id', 'from-flag']).cluster, { url: 'redis://10.0.0.5:6379', nodeId: 'from-flag' });
});

test('--test-config prints the cluster URL with its password masked, whatever the form', (t) => {
  const file = confFile(t, ['cluster redis-sentinel://app:hunter22@s1:26379,s2:26379/mymaster']);
  const r = loadBrokerConfig(['-c', file]);
  assert.ok(!r.help);
  const text = renderEffectiveConfig(r.config, r.file);
  assert.match(text, /^cluster redis-sentinel:\/\/app:\*+@s1:26379,s2:26379\/mymaster$/m);
  assert.doesNotMatch(text, /hunter22/);
});

test('a broker started with only -c FILE joins the cluster the file names, under the file node_id', BOUND, async (t) => {
  const cleanup = new Cleanup();
  t.after(() => cleanup.run());
  const redis = await startRedis(cleanup);
  const file = confFile(t, ['listener 0 127.0.0.1', 'allow_anonymous true', `cluster ${redis.url}`, 'node_id file-node']);
  const r = new Redis(redis.port, '127.0.0.1', { lazyConnect: true });
  t.after(() => r.disconnect());
  await r.connect();
  const child = spawnGlassmq(['broker', '-c', file, '--port', '0', '--memory']);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  cleanup.after(() => stopProcess(child));
  const deadline = Date.now() + STARTUP_MS;
  while (!(await r.smembers('{glassmq}:nodes')).includes('file-node')) {
    if (Date.now() > deadline || child.exitCode !== null) assert.fail(`node never joined: ${out}`);
    await new Promise((res) => setTimeout(res, 200));
  }
  assert.match(out, /cluster: node file-node joined through redis:\/\/127\.0\.0\.1:\d+/);
  await stopProcess(child); // a clean stop leaves the cluster
  assert.deepEqual(await r.smembers('{glassmq}:nodes'), []);
});

function load(argv: string[]): ReturnType<typeof loadBrokerConfig> & { cluster?: unknown } {
  const r = loadBrokerConfig(argv);
  assert.ok(!r.help);
  return { ...r, cluster: r.config.cluster };
}
