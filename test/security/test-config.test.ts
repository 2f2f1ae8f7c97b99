// `glassmq broker -c FILE --test-config` prints the effective configuration as mosquitto.conf text and exits 0:
// the file's settings, flags over them, glassmq's defaults written out, and a text that reads back to the same
// configuration. Also the mapping of mosquitto's "0 = no limit" values and the anonymous-access defaults.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runGlassmq } from '../helpers/net.js';
import { configFromMosquitto, listenerSecurity, loadBrokerConfig } from '../../src/config/config-file.js';
import { parseMosquittoConf } from '../../src/config/mosquitto-conf.js';
import { defaultConfig } from '../../src/config/config.js';
import { mosquittoPasswdFile, tempDir, writeLines } from './harness.js';

test('--test-config prints the effective configuration, flags overriding the file, and exits 0', async (t) => {
  const dir = tempDir(t);
  const pw = mosquittoPasswdFile(dir, { alice: 'apw' });
  const acl = writeLines(dir, 'acl', ['user alice', 'topic read a/#']);
  const conf = writeLines(dir, 'm.conf', [
    'max_keepalive 120', 'max_inflight_messages 0', 'persistence false', `password_file ${pw}`, `acl_file ${acl}`,
    'autosave_interval 60', 'listener 18830 127.0.0.1', 'listener 18831', 'protocol websockets', 'max_connections 10',
  ]);
  const r = await runGlassmq(['broker', '-c', conf, '--test-config', '--max-keepalive', '30', '--allow-anonymous', 'true'], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  const out = r.stdout;
  assert.match(out, /^max_keepalive 30$/m, 'the flag wins over the file');
  assert.match(out, /^allow_anonymous true$/m);
  assert.match(out, new RegExp(`^password_file ${pw}$`, 'm'));
  assert.match(out, /^max_inflight_messages 65535$/m, "mosquitto's 0 = no limit, as glassmq's largest value");
  assert.match(out, /^max_packet_size 1048576$/m, "glassmq's default is written out (mosquitto's would be 0)");
  assert.match(out, /^persistence false$/m);
  assert.match(out, /^listener 18830 127\.0\.0\.1$/m);
  assert.match(out, /^listener 18831\nprotocol websockets$/m);
  assert.match(out, /^max_connections 10$/m);
  assert.match(out, /autosave_interval accepted but not needed/);

  // what is printed reads back to the same settings
  const back = configFromMosquitto(parseMosquittoConf(out, 'printed'));
  assert.equal(back.maxKeepalive, 30);
  assert.equal(back.maxInflight, 65_535);
  assert.equal(back.memory, true);
  assert.deepEqual(back.security, { allowAnonymous: true, passwordFile: pw, aclFile: acl });
  assert.deepEqual(back.listeners?.map((l) => [l.protocol, l.host, l.port, l.maxConnections]), [['mqtt', '127.0.0.1', 18830, -1], ['websockets', undefined, 18831, 10]]);
});

test('--test-config still checks the password and ACL files (FILE:LINE, exit 1)', async (t) => {
  const dir = tempDir(t);
  const acl = writeLines(dir, 'acl', ['topic read a/#', 'user']);
  const conf = writeLines(dir, 'm.conf', ['listener 18830 127.0.0.1', `acl_file ${acl}`]);
  const r = await runGlassmq(['broker', '-c', conf, '--test-config'], { timeoutMs: 60_000 });
  assert.equal(r.code, 1);
  assert.match(r.stderr.trim(), new RegExp(`^${acl}:2: `));
});

test('anonymous clients by default (as mosquitto 2): allowed only on local-only listeners without a password file', () => {
  const flags = (argv: string[]) => {
    const r = loadBrokerConfig(argv);
    assert.equal(r.help, false);
    return (r as { config: ReturnType<typeof defaultConfig> }).config;
  };
  assert.equal(listenerSecurity(flags([])).allowAnonymous, true, 'default listener 127.0.0.1:1883');
  assert.equal(listenerSecurity(flags(['--port', '0'])).allowAnonymous, true, 'loopback is local only');
  assert.equal(listenerSecurity(flags(['--host', '0.0.0.0'])).allowAnonymous, false, 'reachable from elsewhere');
  assert.equal(listenerSecurity(flags(['--host', '0.0.0.0', '--allow-anonymous', 'true'])).allowAnonymous, true);
  assert.equal(listenerSecurity(flags(['--password-file', '/x'])).allowAnonymous, false, 'a password file asks for passwords');
  // a file that defines listeners: mosquitto's default false, even on loopback
  const file = configFromMosquitto(parseMosquittoConf('listener 1884 127.0.0.1\n', 'f'));
  assert.equal(listenerSecurity(file, file.listeners![0]).allowAnonymous, false);
  const none = configFromMosquitto(parseMosquittoConf('max_keepalive 60\n', 'f'));
  assert.equal(listenerSecurity(none).allowAnonymous, true, 'no listener in the file: local only mode');
});

test('per_listener_settings: each listener has its own allow_anonymous; flags override them all', () => {
  const text = ['per_listener_settings true', 'listener 1884 127.0.0.1', 'allow_anonymous true', 'listener 1885 127.0.0.1', ''].join('\n');
  const c = configFromMosquitto(parseMosquittoConf(text, 'f'));
  assert.equal(listenerSecurity(c, c.listeners![0]).allowAnonymous, true);
  assert.equal(listenerSecurity(c, c.listeners![1]).allowAnonymous, false, 'a listener without its own line: the default');
  c.security = { allowAnonymous: false };
  assert.equal(listenerSecurity(c, c.listeners![0]).allowAnonymous, false);
});

test("glassmq's own directives in the file reach the Config, and --test-config masks secrets unless --show-secrets", async (t) => {
  const dir = tempDir(t);
  const conf = writeLines(dir, 'm.conf', [
    'listener 18830 127.0.0.1', 'allow_anonymous true', 'trace true', `capture_file ${dir}/c.pcapng`, 'capture_max_mb 5',
    'cluster redis://app:s3cret-pw@127.0.0.1:6379', 'node_id n1', 'http_listener 18090', 'http_token 0123456789abcdef-token',
  ]);
  const c = configFromMosquitto(parseMosquittoConf((await import('node:fs')).readFileSync(conf, 'utf8'), conf));
  assert.equal(c.trace, true);
  assert.equal(c.capture, `${dir}/c.pcapng`);
  assert.equal(c.captureMaxMb, 5);
  assert.deepEqual(c.cluster, { url: 'redis://app:s3cret-pw@127.0.0.1:6379', nodeId: 'n1' });
  assert.deepEqual(c.http, { host: '127.0.0.1', port: 18090, token: '0123456789abcdef-token' });

  const masked = await runGlassmq(['broker', '-c', conf, '--test-config'], { timeoutMs: 60_000 });
  assert.equal(masked.code, 0, masked.stderr);
  assert.match(masked.stdout, /^cluster redis:\/\/app:\*+@127\.0\.0\.1:6379$/m);
  assert.doesNotMatch(masked.stdout, /s3cret-pw|0123456789abcdef-token/);
  const shown = await runGlassmq(['broker', '-c', conf, '--test-config', '--show-secrets'], { timeoutMs: 60_000 });
  assert.match(shown.stdout, /s3cret-pw/);
  assert.match(shown.stdout, /^http_token 0123456789abcdef-token$/m);
});
