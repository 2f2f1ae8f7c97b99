// mosquitto.conf reading: the meaning of each directive and scope, mosquitto's include_dir order, and errors
// that stop the start with FILE:LINE. Debian's mosquitto is the reference for which files are valid and for
// the line each error is reported at ("Error found at FILE:LINE").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, compareIncludeNames, parseMosquittoConf, readMosquittoConf, renderMosquittoConfig, type MosquittoConfig } from '../../src/config/mosquitto-conf.js';
import { freePort, stopProcess, waitForPort } from '../helpers/net.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'glassmq-conf-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Files the configuration points at; the reader only needs them to exist and be readable. */
function fixtures(dir: string): Record<string, string> {
  const names = ['passwd', 'acl', 'acl 2', 'server.crt', 'server.key', 'ca.crt'];
  const out: Record<string, string> = {};
  for (const n of names) {
    out[n] = join(dir, n);
    writeFileSync(out[n], '');
  }
  mkdirSync(join(dir, 'certs'));
  out.capath = join(dir, 'certs');
  return out;
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    assert.ok(err.message.startsWith(`${err.file}:${err.line}: `), err.message);
    return err;
  }
  assert.fail('expected a ConfigError');
}

test('globals, the default listener, listeners and their options land where mosquitto puts them', (t) => {
  const dir = tempDir(t);
  const f = fixtures(dir);
  const file = join(dir, 'main.conf');
  writeFileSync(file, [
    '# a comment', '', 'port 1884', 'bind_address 127.0.0.1', 'max_connections 50',
    'allow_anonymous false', `password_file ${f.passwd}`, `acl_file ${f['acl 2']}`,
    'persistence true', `persistence_location ${dir}/data/`, 'autosave_interval 60', 'max_keepalive 300',
    'max_packet_size 1048576', 'message_size_limit 65536', 'max_inflight_messages 10', 'max_queued_messages 500',
    'max_queued_bytes 0', 'retain_available false', 'sys_interval 0', 'log_type error', 'log_type warning',
    'log_dest stderr', `log_dest file ${dir}/mosquitto log.txt`, 'pid_file /run/mosquitto.pid',
    '', 'listener 8883 0.0.0.0', `certfile ${f['server.crt']}`, `keyfile ${f['server.key']}`, `cafile ${f['ca.crt']}`,
    'require_certificate true', 'use_identity_as_username true', 'tls_version tlsv1.2', 'socket_domain ipv4',
    'listener 9001', 'protocol websockets', 'max_connections -1', 'listener 0 /run/glassmq.sock   ',
    'http_listener 8080', 'trace true', 'cluster redis://127.0.0.1:6379/0', 'node_id node-1', 'sync full',
    'ws_origin https://a.example', 'ws_origin https://b.example', 'ws_path /mqtt', 'http_token 0123456789abcdef0123',
  ].join('\n'));
  const c = readMosquittoConf(file);
  assert.deepEqual(c.files, [file]);
  assert.deepEqual(c.security, { allowAnonymous: false, passwordFile: f.passwd, aclFile: f['acl 2'] }, 'a value may contain spaces');
  assert.equal(c.persistence, true);
  assert.equal(c.persistenceLocation, `${dir}/data/`);
  assert.equal(c.maxKeepalive, 300);
  assert.equal(c.maxPacketSize, 1_048_576);
  assert.equal(c.messageSizeLimit, 65_536);
  assert.equal(c.maxInflightMessages, 10);
  assert.equal(c.maxQueuedMessages, 500);
  assert.equal(c.retainAvailable, false);
  assert.equal(c.sysInterval, 0);
  assert.deepEqual(c.logTypes, ['error', 'warning']);
  assert.deepEqual(c.logDest, [{ kind: 'stderr' }, { kind: 'file', path: `${dir}/mosquitto log.txt` }]);
  assert.ok(c.notes.some((n) => n.includes('autosave_interval') && n.includes('not needed')));
  assert.ok(c.notes.some((n) => n.includes("'pid_file' ignored")));

  assert.equal(c.listeners.length, 4);
  const [def, tls, ws, unix] = c.listeners as [typeof c.listeners[0], typeof c.listeners[0], typeof c.listeners[0], typeof c.listeners[0]];
  assert.deepEqual({ isDefault: def.isDefault, port: def.port, bind: def.bindAddress, max: def.maxConnections }, { isDefault: true, port: 1884, bind: '127.0.0.1', max: 50 });
  assert.deepEqual(
    { port: tls.port, bind: tls.bindAddress, cert: tls.certfile, req: tls.requireCertificate, id: tls.useIdentityAsUsername, v: tls.tlsVersion, dom: tls.socketDomain },
    { port: 8883, bind: '0.0.0.0', cert: f['server.crt'], req: true, id: true, v: 'tlsv1.2', dom: 'ipv4' },
  );
  assert.equal(tls.source.line, 26);
  assert.deepEqual({ port: ws.port, protocol: ws.protocol, bind: ws.bindAddress, max: ws.maxConnections }, { port: 9001, protocol: 'websockets', bind: undefined, max: -1 });
  assert.deepEqual({ port: unix.port, bind: unix.bindAddress }, { port: 0, bind: '/run/glassmq.sock' });
  assert.deepEqual(c.glassmq, {
    httpListener: { port: 8080, address: '127.0.0.1' }, trace: true, cluster: 'redis://127.0.0.1:6379/0', nodeId: 'node-1', sync: 'full',
    wsOrigin: ['https://a.example', 'https://b.example'], wsPath: '/mqtt', httpToken: '0123456789abcdef0123',
  });
});

test('per_listener_settings true: security lines belong to the listener they follow', (t) => {
  const f = fixtures(tempDir(t));
  const c = parseMosquittoConf(['per_listener_settings true', 'listener 1883', 'allow_anonymous true', 'listener 1884', 'allow_anonymous false', `password_file ${f.passwd}`, `acl_file ${f.acl}`].join('\n'));
  assert.equal(c.perListenerSettings, true);
  assert.deepEqual(c.security, {});
  assert.deepEqual(c.listeners.map((l) => l.security), [{ allowAnonymous: true }, { allowAnonymous: false, passwordFile: f.passwd, aclFile: f.acl }]);
  const global = parseMosquittoConf(['listener 1883', 'allow_anonymous true', 'listener 1884', `password_file ${f.passwd}`].join('\n'));
  assert.deepEqual(global.security, { allowAnonymous: true, passwordFile: f.passwd }, 'without it they are global wherever they stand');
  assert.equal(global.listeners[1]!.security, undefined);
});

test('include_dir: *.conf files in mosquitto order (00, 01, A, a, B, b), read where the line stands', (t) => {
  const dir = tempDir(t);
  const inc = join(dir, 'conf.d');
  mkdirSync(inc);
  const names = ['b.conf', 'A.conf', '01.conf', 'a.conf', 'B.conf', '00.conf'];
  names.forEach((n, i) => writeFileSync(join(inc, n), `ws_origin ${n}\n${i === 0 ? 'protocol websockets\n' : ''}`));
  writeFileSync(join(inc, 'notes.txt'), 'this is not read\n');
  const main = join(dir, 'main.conf');
  writeFileSync(main, `listener 9001\ninclude_dir ${inc}\n`);
  const c = readMosquittoConf(main);
  assert.deepEqual(c.glassmq.wsOrigin, ['00.conf', '01.conf', 'A.conf', 'a.conf', 'B.conf', 'b.conf']);
  assert.deepEqual([...names].sort(compareIncludeNames), ['00.conf', '01.conf', 'A.conf', 'a.conf', 'B.conf', 'b.conf']);
  assert.equal(c.listeners[0]!.protocol, 'websockets', 'an included file continues the current listener');
  assert.equal(c.files.length, 7);
});

/** Bad lines that Debian mosquitto refuses too: it must report the same line ("Error found at FILE:LINE"). */
const BAD_LINES: Array<[string, string]> = [
  ['foo bar', 'UNKNOWN_DIRECTIVE'],
  ['allow_anonymous yes', 'BAD_VALUE'],
  ['port abc', 'BAD_VALUE'],
  ['max_keepalive 70000', 'OUT_OF_RANGE'],
  ['sys_interval -5', 'OUT_OF_RANGE'],
  ['max_packet_size 10', 'OUT_OF_RANGE'],
  ['listener', 'MISSING_VALUE'],
  ['  # an indented comment is a directive named #', 'UNKNOWN_DIRECTIVE'],
  ['include_dir /nonexistent/glassmq', 'FILE_UNREADABLE'],
];

test('bad values: mosquitto and glassmq both refuse them, at the same FILE:LINE, with a stable code', async (t) => {
  const dir = tempDir(t);
  const port = await freePort();
  for (const [bad, code] of BAD_LINES) {
    const file = join(dir, 'bad.conf');
    const text = `user root\nlistener ${port} 127.0.0.1\n${bad}\nmax_queued_messages 10\n`;
    writeFileSync(file, text);
    const ref = spawnSync('/usr/sbin/mosquitto', ['-c', file], { encoding: 'utf8', timeout: 10_000 });
    assert.notEqual(ref.status, 0, `mosquitto refuses '${bad}'`);
    assert.match(ref.stderr + ref.stdout, new RegExp(`Error found at ${file.replace(/[.]/g, '\\.')}:3`), bad);
    const err = configError(() => readMosquittoConf(file));
    assert.equal(err.code, code, bad);
    assert.equal(err.file, file);
    assert.equal(err.line, 3, bad);
  }
});

test('glassmq is stricter where mosquitto would silently do something else', (t) => {
  const f = fixtures(tempDir(t));
  const cases: Array<[string, string, number]> = [
    ['max_inflight_messages 10 # comment', 'BAD_VALUE', 1], // mosquitto's atoi() reads 10
    [`password_file ${f.passwd}\npassword_file ${f.passwd}`, 'DUPLICATE_DIRECTIVE', 2],
    ['allow_anonymous true\nallow_anonymous false', 'DUPLICATE_DIRECTIVE', 2], // mosquitto: last one wins
    ['listener 1883\nper_listener_settings true', 'MISPLACED_DIRECTIVE', 2],
    [`certfile ${f['server.crt']}\nlistener 1883`, 'INCONSISTENT_LISTENER', 1], // the default listener is never started
    ['listener 1883\nlistener 1883', 'DUPLICATE_LISTENER', 2],
    [`listener 8883\ncertfile ${f['server.crt']}`, 'INCONSISTENT_LISTENER', 1],
    [`listener 8883\ncertfile ${f['server.crt']}\nkeyfile ${f['server.key']}\nrequire_certificate true`, 'INCONSISTENT_LISTENER', 1],
    ['listener 1883\nuse_identity_as_username true', 'INCONSISTENT_LISTENER', 1],
    ['connection bridge-01', 'UNSUPPORTED_DIRECTIVE', 1],
    ['auth_opt_backends files', 'UNSUPPORTED_DIRECTIVE', 1],
    ['listener\t1883', 'UNKNOWN_DIRECTIVE', 1],
    ['listener 0', 'BAD_VALUE', 1],
    ['http_token short', 'BAD_VALUE', 1],
    ['cluster http://x', 'BAD_VALUE', 1],
    ['sync sometimes', 'BAD_VALUE', 1],
    ['trace', 'MISSING_VALUE', 1],
    [`password_file ${f.passwd}.missing`, 'FILE_UNREADABLE', 1],
    [`capath ${f.passwd}`, 'FILE_UNREADABLE', 1],
  ];
  for (const [text, code, line] of cases) {
    const err = configError(() => parseMosquittoConf(text, '/etc/glassmq.conf'));
    assert.equal(err.code, code, text);
    assert.equal(err.line, line, text);
    assert.equal(err.file, '/etc/glassmq.conf');
  }
});

test('missing and unreadable configuration files: FILE_UNREADABLE with FILE:0', (t) => {
  const dir = tempDir(t);
  const missing = configError(() => readMosquittoConf(join(dir, 'absent.conf')));
  assert.equal(missing.code, 'FILE_UNREADABLE');
  assert.equal(missing.message.split(': ')[0], `${join(dir, 'absent.conf')}:0`);
  assert.equal(configError(() => readMosquittoConf(dir)).code, 'FILE_UNREADABLE');
  const inc = join(dir, 'inc');
  mkdirSync(inc);
  writeFileSync(join(inc, 'x.conf'), 'include_dir /tmp\n');
  writeFileSync(join(dir, 'main.conf'), `include_dir ${inc}\n`);
  const nested = configError(() => readMosquittoConf(join(dir, 'main.conf')));
  assert.deepEqual([nested.code, nested.file, nested.line], ['MISPLACED_DIRECTIVE', join(inc, 'x.conf'), 1]);
  if (process.getuid?.() !== 0) {
    // root reads every file, so unreadable-by-permission can only be shown to a normal user
    const locked = join(dir, 'locked.conf');
    writeFileSync(locked, 'port 1883\n');
    chmodSync(locked, 0);
    assert.equal(configError(() => readMosquittoConf(locked)).code, 'FILE_UNREADABLE');
  }
});

test('a configuration mosquitto accepts is read by glassmq too, and mosquitto serves it', async (t) => {
  const dir = tempDir(t);
  const f = fixtures(dir);
  writeFileSync(f.passwd, 'u:$7$101$AH5angGWv4ujL8Fg$o/MOw/RVPKQWbzxx5335mn/1dRiUdL9ZYif1aEId5r745BX/LP0kXMqilQ2vNMhZl8pzzriGKdfCHgruHf1sZA==\n');
  writeFileSync(f.acl, 'topic read #\n');
  const port = await freePort();
  const file = join(dir, 'ok.conf');
  writeFileSync(file, [`user root`, `per_listener_settings true`, `listener ${port} 127.0.0.1`, 'allow_anonymous true', `password_file ${f.passwd}`, `acl_file ${f.acl}`,
    'max_connections 10', 'persistence false', 'sys_interval 0', 'max_keepalive 120', 'log_type error', 'log_dest stdout', 'socket_domain ipv4'].join('\n'));
  const c = readMosquittoConf(file);
  assert.equal(c.listeners[0]!.port, port);
  assert.deepEqual(c.listeners[0]!.security, { allowAnonymous: true, passwordFile: f.passwd, aclFile: f.acl });
  const broker = spawn('/usr/sbin/mosquitto', ['-c', file], { stdio: 'ignore' });
  t.after(() => stopProcess(broker));
  await waitForPort(port);
  const pub = spawnSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-t', 'x', '-m', 'y'], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(pub.status, 0, pub.stderr);
});

test('--test-config rendering reads back to the same configuration; secrets are masked unless asked for', (t) => {
  const f = fixtures(tempDir(t));
  const text = ['port 1884', 'max_connections 5', `password_file ${f.passwd}`, 'max_keepalive 60', 'log_type all', 'listener 8883 ::1',
    `certfile ${f['server.crt']}`, `keyfile ${f['server.key']}`, `capath ${f.capath}`, 'require_certificate true', 'use_subject_as_username true',
    'http_listener 8080 0.0.0.0', 'http_token 0123456789abcdef0123', 'ws_origin *', 'autosave_interval 5'].join('\n');
  const c = parseMosquittoConf(text, 'a.conf');
  const masked = renderMosquittoConfig(c);
  assert.doesNotMatch(masked, /0123456789abcdef0123/);
  assert.match(masked, /^http_token \*+$/m);
  assert.match(masked, /^#max_inflight_messages 20 {2}\(default\)$/m, 'defaults are shown as comments');
  const again = parseMosquittoConf(renderMosquittoConfig(c, { showSecrets: true }), 'b.conf');
  const comparable = (m: MosquittoConfig) => ({ ...m, files: [], notes: [], listeners: m.listeners.map((l) => ({ ...l, source: null })) });
  assert.deepEqual(comparable(again), comparable(c));
});
