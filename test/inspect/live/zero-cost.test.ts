// Observing costs nothing when nobody watches: the hub holds every link but subscribes to no tap until a watcher
// arrives, and lets go of every tap when the last one leaves, so the sockets run their stock methods again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBroker } from '../../../src/server/create-broker.js';
import { createTcpListener, createWsListener, type TapSource, type TransportLink } from '../../../src/transport/index.js';
import { TraceHub, type TraceEvent } from '../../../src/inspect/live/index.js';
import { makeTestCerts } from '../../transport/certs.js';
import { connectClient, endClient, startTracedBroker, waitFor } from './support.js';

/** A tap source that counts its live subscriptions. */
function counting(source: TapSource, counter: { n: number }): TapSource {
  return {
    on(listener) {
      counter.n++;
      const off = source.on(listener);
      return () => {
        counter.n--;
        off();
      };
    },
  };
}

/** The tcp tap hooks the socket itself (= link.stream); a ws tap hooks the socket under the WebSocket stream. */
const hooked = (link: TransportLink): boolean => Object.prototype.hasOwnProperty.call(link.stream, 'push') || Object.prototype.hasOwnProperty.call(link.stream, '_write');

test('no watcher: tap sources of tcp and ws links have zero listeners and the sockets keep their stock methods', async (t) => {
  const running = await createBroker({ port: 0 });
  const hub = new TraceHub();
  const counter = { n: 0 };
  const links: TransportLink[] = [];
  const tcp = createTcpListener({ host: '127.0.0.1', port: 0 });
  const ws = createWsListener({ host: '127.0.0.1', port: 0 });
  const onLink = (link: TransportLink): void => {
    const tap = link.tap!;
    const counted: TransportLink = { ...link, stream: link.stream, info: link.info, tap: { wire: counting(tap.wire!, counter), plain: counting(tap.plain!, counter) } };
    links.push(counted);
    hub.register(counted);
    running.broker.handleLink(link);
  };
  await tcp.listen(onLink);
  await ws.listen(onLink);
  t.after(async () => {
    await running.close();
    await tcp.close();
    await ws.close();
  });
  const port = (l: typeof tcp): number => (l.address() as { port: number }).port;
  const a = await connectClient({ protocol: 'mqtt', host: '127.0.0.1', port: port(tcp), clientId: 'a', reconnectPeriod: 0 });
  const b = await connectClient({ protocol: 'ws', host: '127.0.0.1', port: port(ws), path: '/mqtt', clientId: 'b', reconnectPeriod: 0 });
  t.after(() => {
    a.end(true);
    b.end(true);
  });
  await a.publishAsync('z/1', 'x', { qos: 1 });
  await b.publishAsync('z/1', 'y', { qos: 1 });
  assert.equal(links.length, 2);
  assert.equal(counter.n, 0, 'no tap subscribed');
  const tcpLink = links.find((l) => l.info.transport === 'tcp')!;
  assert.equal(hooked(tcpLink), false, 'stock socket methods');

  const seen: TraceEvent[] = [];
  const stop = hub.watch({}, (ev) => seen.push(ev));
  assert.equal(counter.n, 2, 'one plain tap per link while watched');
  assert.equal(hooked(tcpLink), true);
  await a.publishAsync('z/2', 'watched', { qos: 1 });
  await waitFor(() => seen.some((e) => e.mqtt?.topic === 'z/2'), 'the watched PUBLISH');
  stop();
  assert.equal(counter.n, 0, 'every tap let go with the last watcher');
  assert.equal(hooked(tcpLink), false);

  const stopWire = hub.watchWire({ open: () => undefined, data: () => undefined, close: () => undefined });
  assert.equal(counter.n, 2, 'a capture subscribes to the wire taps');
  stopWire();
  assert.equal(counter.n, 0);
  assert.equal(hooked(tcpLink), false);
});

test('a trace started mid-connection names the client (from the broker) and decodes its v5 packets', async (t) => {
  const certs = makeTestCerts();
  const b = await startTracedBroker(certs);
  t.after(async () => {
    await b.close();
    certs.cleanup();
  });
  const client = await connectClient(b.options('tcp', { clientId: 'early-bird', protocolVersion: 5 }));
  await client.publishAsync('mid/0', 'before the trace', { qos: 1 }); // PUBACK: the broker has read it
  const seen: TraceEvent[] = [];
  const stop = b.running.trace!.watch({ types: ['publish'] }, (ev) => seen.push(ev));
  t.after(stop);
  await client.publishAsync('mid/1', 'after', { qos: 0, properties: { userProperties: { k: 'v' } } });
  await waitFor(() => seen.length > 0, 'the PUBLISH after the trace started');
  const [ev] = seen;
  assert.equal(ev!.connection.clientId, 'early-bird');
  assert.equal(ev!.mqtt?.protocolVersion, 5);
  assert.equal(ev!.mqtt?.topic, 'mid/1');
  assert.equal(ev!.mqtt?.dissection.error, null, 'decoded with the v5 property section');
  await endClient(client);
});
