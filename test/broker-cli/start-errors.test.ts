// A transport listener that cannot start stops `glassmq broker` with one line naming the flag to fix and a
// non-zero exit: a port in use, an unreadable certificate, key or CA, a bad value, flags that need each other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { FlagError, parseBrokerFlags } from '../../src/config/broker-flags.js';
import { runGlassmq } from '../helpers/net.js';
import { certsFor, freePorts, START_MS, tempDir } from './support.js';

/** Occupies a port on 127.0.0.1 until the test ends. */
async function occupied(t: { after(fn: () => unknown): void }): Promise<number> {
  const srv: Server = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  t.after(() => new Promise((r) => srv.close(r)));
  return (srv.address() as { port: number }).port;
}

/** The one line the broker printed before exiting, and its exit code. */
async function failedStart(args: string[]): Promise<{ code: number | null; line: string }> {
  const r = await runGlassmq(['broker', '--memory', ...args], { timeoutMs: START_MS });
  const lines = r.stderr.trim().split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `one line, got:\n${r.stderr}`);
  return { code: r.code, line: lines[0]! };
}

test('[MQTT-4.2.0-1] a port in use stops the start with one line naming the flag (--ws-port, --tls-port, --wss-port)', async (t) => {
  const certs = certsFor(t);
  const taken = await occupied(t);
  const [a, b] = await freePorts(2);
  const tls = ['--cert', certs.certFile, '--key', certs.keyFile];
  for (const [flag, args] of [
    ['--ws-port', ['--ws-port', String(taken), '--tls-port', String(a), ...tls]],
    ['--tls-port', ['--ws-port', String(a), '--tls-port', String(taken), ...tls]],
    ['--wss-port', ['--port', String(a), '--tls-port', String(b), '--wss-port', String(taken), ...tls]],
  ] as const) {
    const r = await failedStart([...args]);
    assert.notEqual(r.code, 0);
    assert.equal(r.line, `glassmq broker: ${flag}: cannot listen on 127.0.0.1:${taken}: address already in use`);
  }
});

test('[MQTT-4.2.0-1] --unix on a path that is not a socket stops the start naming --unix', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'not-a-socket');
  writeFileSync(path, 'data');
  const r = await failedStart(['--unix', path]);
  assert.notEqual(r.code, 0);
  assert.match(r.line, /^glassmq broker: --unix: /);
  assert.match(r.line, new RegExp(path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')));
});

test('[MQTT-4.2.0-1] an unreadable certificate, key or CA stops the start naming --cert, --key or --ca', async (t) => {
  const certs = certsFor(t);
  const [port] = await freePorts(1);
  const missing = join(certs.dir, 'missing.pem');
  for (const [flag, files] of [
    ['--cert', [missing, certs.keyFile, certs.caFile]],
    ['--key', [certs.certFile, missing, certs.caFile]],
    ['--ca', [certs.certFile, certs.keyFile, missing]],
  ] as const) {
    const r = await failedStart(['--tls-port', String(port), '--cert', files[0], '--key', files[1], '--ca', files[2]]);
    assert.equal(r.code, 1);
    assert.equal(r.line, `glassmq broker: ${flag}: cannot read ${missing}: no such file`);
  }
  // a file that is not PEM at all cannot be told apart (cert or key?): both flags are named
  const r = await failedStart(['--wss-port', String(port), '--cert', certs.keyFile, '--key', certs.keyFile]);
  assert.equal(r.code, 1);
  assert.match(r.line, /^glassmq broker: --cert\/--key\/--ca: cannot listen on 127\.0\.0\.1:\d+: .*PEM/);
});

test('[MQTT-4.2.0-1] bad transport flag values and flags missing their partner are usage errors naming the flag (exit 2)', async () => {
  const cases: [string[], string][] = [
    [['--ws-port', 'abc'], '--ws-port'],
    [['--tls-port', '70000'], '--tls-port'],
    [['--ws-ping', '0'], '--ws-ping'],
    [['--ws-path', 'mqtt'], '--ws-path'],
    [['--ws-origin', ','], '--ws-origin'],
    [['--tls-min-version', 'TLSv1.1'], '--tls-min-version'],
    [['--tls-port', '8884'], '--tls-port'],
    [['--wss-port', '8085'], '--wss-port'],
    [['--cert', 'c.pem'], '--cert'],
    [['--key', 'k.pem'], '--key'],
    [['--cert', 'c', '--key', 'k', '--require-certificate'], '--require-certificate'],
    [['--cert', 'c', '--key', 'k', '--use-identity-as-username'], '--use-identity-as-username'],
    [['--unix'], '--unix'],
  ];
  for (const [argv, flag] of cases) {
    assert.throws(() => parseBrokerFlags(argv), (err: unknown) => err instanceof FlagError && err.flag === flag && err.message.startsWith(`${flag}: `), argv.join(' '));
  }
  const r = await failedStart(['--tls-port', '8884']);
  assert.equal(r.code, 2);
  assert.equal(r.line, 'glassmq broker: --tls-port: needs --cert and --key');
});
