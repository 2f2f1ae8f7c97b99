// Which listeners `glassmq broker` opens: the default set (as mosquitto 2: loopback only, and said so) when no
// listener flag is given, exactly the ones named otherwise; --host for all of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { parseBrokerFlags } from '../../src/config/broker-flags.js';
import { flagListeners } from '../../src/config/transport-flags.js';
import { DEFAULT_TCP_PORT, DEFAULT_TLS_PORT, DEFAULT_WS_PORT, DEFAULT_WSS_PORT, type Config } from '../../src/config/config.js';
import { httpListenerConfig } from '../../src/server/http-listener.js';
import { DEFAULT_LISTENER_PORTS } from '../../src/transport/index.js';
import { certsFor, clientOptions, connectClient, freePorts, startBroker } from './support.js';

function config(argv: string[]): Config {
  const r = parseBrokerFlags(argv);
  assert.ok(!r.help);
  return r.config;
}

/** [protocol, host, port or path, flag] of every flag listener. */
function listeners(argv: string[]): [string, string | undefined, number | string, string][] {
  return flagListeners(config(argv)).map((l) => [l.tls ? `${l.protocol}+tls` : l.protocol, l.host, l.path ?? l.port, l.source]);
}

test('[MQTT-4.2.0-1] no listener flag: tcp 1883 and ws 8083 on 127.0.0.1 (+ HTTP 18083); with --cert/--key also tls 8883 and wss 8084', () => {
  assert.deepEqual({ tcp: DEFAULT_TCP_PORT, tls: DEFAULT_TLS_PORT, ws: DEFAULT_WS_PORT, wss: DEFAULT_WSS_PORT }, DEFAULT_LISTENER_PORTS, 'config and transport agree');
  assert.deepEqual(listeners([]), [['mqtt', '127.0.0.1', 1883, '--port'], ['websockets', '127.0.0.1', 8083, '--ws-port']]);
  assert.deepEqual(httpListenerConfig(config([])), { host: '127.0.0.1', port: 18083, token: undefined });
  assert.deepEqual(listeners(['--cert', 'c.pem', '--key', 'k.pem']), [
    ['mqtt', '127.0.0.1', 1883, '--port'], ['websockets', '127.0.0.1', 8083, '--ws-port'],
    ['mqtt+tls', '127.0.0.1', 8883, '--tls-port'], ['websockets+tls', '127.0.0.1', 8084, '--wss-port'],
  ]);
  assert.deepEqual(listeners(['--host', '0.0.0.0']).map((l) => l[1]), ['0.0.0.0', '0.0.0.0'], '--host applies to every listener');
});

test('[MQTT-4.2.0-1] any listener flag (--port, --ws-port, --tls-port, --wss-port, --unix, --http-port): only the listeners named open', () => {
  const tls = ['--cert', 'c.pem', '--key', 'k.pem'];
  assert.deepEqual(listeners(['--ws-port', '9001']), [['websockets', '127.0.0.1', 9001, '--ws-port']]);
  assert.equal(httpListenerConfig(config(['--ws-port', '9001'])), undefined);
  assert.deepEqual(listeners(['--port', '1884']), [['mqtt', '127.0.0.1', 1884, '--port']]);
  assert.deepEqual(listeners(['--tls-port', '8884', ...tls]), [['mqtt+tls', '127.0.0.1', 8884, '--tls-port']]);
  assert.deepEqual(listeners([...tls, '--wss-port', '8085', '--host', '::1']), [['websockets+tls', '::1', 8085, '--wss-port']], 'flags in any order');
  assert.deepEqual(listeners(['--unix', '/run/g.sock']), [['mqtt', undefined, '/run/g.sock', '--unix']]);
  assert.deepEqual(listeners(['--http-port', '0']), [], 'the dashboard alone');
  assert.deepEqual(listeners(['--http-port', 'off']).map((l) => l[2]), [1883, 8083], '"off" names no listener');
  // every option reaches its entry, the same fields a mosquitto.conf listener has
  const [ws, wss] = flagListeners(config([
    '--ws-port', '1', '--wss-port', '2', ...tls, '--ca', 'ca.pem', '--require-certificate', '--use-identity-as-username',
    '--ws-path', '/mqtt', '--ws-origin', 'https://a.example,https://b.example', '--ws-origin', 'https://c.example', '--trust-proxy',
    '--ws-ping', '20', '--tls-min-version', 'TLSv1.3', '--tls-keylog', 'keys.log',
  ]));
  const wsOptions = { path: '/mqtt', origins: ['https://a.example', 'https://b.example', 'https://c.example'], trustProxy: true, pingSeconds: 20 };
  assert.deepEqual(ws!.ws, wsOptions);
  assert.equal(ws!.tls, undefined);
  assert.deepEqual(wss!.ws, wsOptions);
  assert.deepEqual(wss!.tls, { certFile: 'c.pem', keyFile: 'k.pem', caFile: 'ca.pem', requireCertificate: true, minVersion: 'tlsv1.3', keylog: 'keys.log' });
  assert.equal(wss!.certificateUsername, 'identity');
  const proxied = flagListeners(config(['--port', '1', '--tls-port', '2', '--ws-port', '3', ...tls, '--proxy-protocol']));
  assert.deepEqual(proxied.map((l) => [l.source, l.proxyProtocol ?? false]), [['--port', true], ['--ws-port', false], ['--tls-port', true]], 'PROXY protocol on tcp and tls only');
});

/** True when nothing listens on 127.0.0.1:port right now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

test('[MQTT-4.2.0-1] the start line says which listeners opened: the default set on 127.0.0.1 when no flag names one', async (t) => {
  const certs = certsFor(t);
  const defaults = [1883, 8083, 18083, 8883, 8084];
  const free = (await Promise.all(defaults.map(portFree))).every(Boolean);
  // another process may take a default port between the check and the start: then the named-ports run below
  const broker = free ? await startBroker(t, ['--cert', certs.certFile, '--key', certs.keyFile]).catch((err: Error) => {
    if (/address already in use/.test(err.message)) return undefined;
    throw err;
  }) : undefined;
  if (broker) {
    const urls = await broker.urls();
    assert.match(broker.output(), /no listener flag given: opened the default listeners on 127\.0\.0\.1 only/);
    assert.deepEqual(urls, ['mqtt://127.0.0.1:1883', 'ws://127.0.0.1:8083', 'mqtts://127.0.0.1:8883', 'wss://127.0.0.1:8084', 'http://127.0.0.1:18083/']);
    return;
  }
  // the default ports are taken on this machine (never assume a fixed port is free): the same line with ports named
  const [tcp, ws, http] = await freePorts(3);
  const named = await startBroker(t, ['--host', '127.0.0.1', '--port', String(tcp), '--ws-port', String(ws), '--http-port', String(http)]);
  assert.deepEqual(await named.urls(), [`mqtt://127.0.0.1:${tcp}`, `ws://127.0.0.1:${ws}`, `http://127.0.0.1:${http}/`]);
});

test('[MQTT-4.2.0-1] anonymous clients by default only when every flag listener is loopback: --host 0.0.0.0 --ws-port refuses them (CONNACK 5, Table 3.1)', async (t) => {
  const [ws] = await freePorts(1);
  await startBroker(t, ['--host', '0.0.0.0', '--ws-port', String(ws)]);
  // reachable from elsewhere and no --allow-anonymous true: as mosquitto 2, a client without a user name is refused
  await assert.rejects(connectClient(t, clientOptions('ws', ws)), (err: Error & { code?: number }) => {
    assert.equal(err.code, 5, err.message);
    return true;
  });
});
