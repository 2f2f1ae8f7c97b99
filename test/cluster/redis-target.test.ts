// The --cluster URL forms: what each one means (standalone, Sentinel, Redis Cluster), and the usage error a bad one
// gives before anything starts (status 2, one line naming --cluster and the bad part, password never printed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRedisUrl, RedisUrlError } from '../../src/config/redis-url.js';
import { runGlassmq } from '../helpers/net.js';

const EXIT_USAGE = 2;

test('redis:// and rediss:// stay URLs ioredis reads itself', () => {
  assert.deepEqual(parseRedisUrl('redis://:pw@10.0.0.5:6379/3'), { kind: 'standalone', url: 'redis://:pw@10.0.0.5:6379/3' });
  assert.deepEqual(parseRedisUrl('rediss://redis.example'), { kind: 'standalone', url: 'rediss://redis.example' });
});

test('redis-sentinel://: the Sentinels (default port 26379), the master name, ?db, credentials for the master', () => {
  assert.deepEqual(parseRedisUrl('redis-sentinel://app:p%40ss@s1,s2:26380,[::1]:26381/mymaster?db=2'), {
    kind: 'sentinel',
    sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26380 }, { host: '::1', port: 26381 }],
    name: 'mymaster',
    db: 2,
    tls: false,
    username: 'app',
    password: 'p@ss',
  });
  assert.equal(parseRedisUrl('rediss-sentinel://s1/m').kind, 'sentinel');
});

test('redis-cluster://: the seed nodes (default port 6379), TLS with rediss-cluster://, a password alone', () => {
  assert.deepEqual(parseRedisUrl('rediss-cluster://:pw@h1:7000,h2'), {
    kind: 'cluster',
    nodes: [{ host: 'h1', port: 7000 }, { host: 'h2', port: 6379 }],
    tls: true,
    password: 'pw',
  });
});

test('each mistake has its own code and names the bad part', () => {
  const cases: Array<[string, RedisUrlError['code'], string]> = [
    ['http://h:1', 'BAD_SCHEME', 'http:'],
    ['redis://', 'BAD_HOST', ''],
    ['redis://h:port', 'BAD_PORT', 'port'],
    ['redis://h:0', 'BAD_PORT', '0'],
    ['redis://h:1/x', 'BAD_DB', 'x'],
    ['redis://a:1,b:2', 'BAD_HOST', 'a:1,b:2'],
    ['redis-sentinel://s1:26379', 'MISSING_MASTER', 'redis-sentinel://s1:26379'],
    ['redis-sentinel://s1/my master', 'MISSING_MASTER', 'my master'],
    ['redis-sentinel://s1/m?timeout=3', 'BAD_OPTION', 'timeout=3'],
    ['redis-cluster://h1:7000/1', 'BAD_PATH', '/1'],
    ['redis-cluster://h1 h2', 'BAD_HOST', 'h1 h2'],
  ];
  for (const [url, code, part] of cases) {
    assert.throws(() => parseRedisUrl(url), (err) => err instanceof RedisUrlError && err.code === code && err.part === part, url);
  }
});

test('a bad Sentinel / Redis Cluster URL is a usage error: status 2, one line naming --cluster and the bad part, no password', { timeout: 60_000 }, async () => {
  const r = await runGlassmq(['broker', '--cluster', 'redis-sentinel://u:s3cret@s1:26379'], { timeoutMs: 45_000 });
  assert.equal(r.code, EXIT_USAGE);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^glassmq broker: --cluster: redis-sentinel:\/\/ needs the master name .*got "redis-sentinel:\/\/u:\*\*\*@s1:26379"/);
  assert.doesNotMatch(r.stderr, /s3cret/);
  const c = await runGlassmq(['broker', '--cluster', 'redis-cluster://h1:7000,h2:99999'], { timeoutMs: 45_000 });
  assert.equal(c.code, EXIT_USAGE);
  assert.match(c.stderr, /^glassmq broker: --cluster: bad port "99999" in "h2:99999"/);
});
