// The dashboard's small pure parts: packet boundaries from raw bytes, payload previews, trace query parsing and
// the per-browser trace rate limit.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { encodePacket } from '../../src/protocol/index.js';
import { PACKET_TYPE } from '../../src/protocol/constants.js';
import { PacketWalker } from '../../src/dashboard/packet-walker.js';
import { viewPayload, PAYLOAD_PREVIEW_BYTES } from '../../src/dashboard/payload-view.js';
import { parseTraceQuery, parseTraceRate, streamTrace, type TraceFeed, DEFAULT_TRACE_RATE } from '../../src/dashboard/trace-stream.js';
import { SseStream } from '../../src/dashboard/sse.js';
import { TrafficObserver } from '../../src/dashboard/traffic.js';
import { Broker } from '../../src/broker/broker.js';
import { createMessage } from '../../src/broker/message.js';
import type { ClientInfo } from '../../src/broker/hooks.js';

describe('PacketWalker', () => {
  const ping = encodePacket({ type: 'pingreq' }, 4);
  // Remaining Length 200 takes two bytes (0xC8 0x01): a varint split across chunks must still be read [MQTT-1.5.5-1]
  const big = encodePacket({ type: 'publish', topic: 't', payload: Buffer.alloc(195, 1), qos: 0, retain: false, dup: false }, 4);

  test('finds every packet type across any chunking, multi-byte Remaining Length included', () => {
    const stream = Buffer.concat([ping, big, ping, big]);
    for (const size of [1, 2, 3, 7, 64, stream.length]) {
      const walker = new PacketWalker();
      const types: number[] = [];
      let count = 0;
      const all = (1 << 16) - 1;
      for (let i = 0; i < stream.length; i += size) count += walker.walk(stream.subarray(i, i + size), all, (t) => types.push(t));
      assert.deepEqual(types, [PACKET_TYPE.pingreq, PACKET_TYPE.publish, PACKET_TYPE.pingreq, PACKET_TYPE.publish], `chunk size ${size}`);
      assert.equal(count, 4);
    }
  });

  test('a walker attached mid-packet gets back in step at a later chunk start', () => {
    const walker = new PacketWalker();
    const types: number[] = [];
    const pings = 1 << PACKET_TYPE.pingreq;
    walker.walk(Buffer.from([0x00, 0x05, 0x61]), pings, (t) => types.push(t)); // tail of some packet: type 0 is reserved
    walker.walk(ping, pings, (t) => types.push(t));
    walker.walk(big, pings, (t) => types.push(t)); // counted, not reported: PUBLISH is not watched
    assert.deepEqual(types, [PACKET_TYPE.pingreq]);
  });
});

describe('viewPayload', () => {
  test('JSON, text, binary and empty payloads', () => {
    assert.equal(viewPayload(Buffer.from('{"a":1}')).format, 'json');
    assert.equal(viewPayload(Buffer.from('21.5 °C')).format, 'text');
    assert.equal(viewPayload(Buffer.from([0xff, 0x00, 0x10])).format, 'hex');
    assert.equal(viewPayload(Buffer.from([0x41, 0x00])).format, 'hex'); // NUL inside: binary
    assert.deepEqual(viewPayload(Buffer.alloc(0)), { format: 'empty', value: '', hex: '', size: 0, truncated: false });
  });

  test('only a bounded prefix travels to the browser', () => {
    const v = viewPayload(Buffer.alloc(PAYLOAD_PREVIEW_BYTES * 4, 0x61));
    assert.equal(v.size, PAYLOAD_PREVIEW_BYTES * 4);
    assert.equal(v.truncated, true);
    assert.equal(v.value.length, PAYLOAD_PREVIEW_BYTES);
  });
});

describe('/api/trace query and rate limit', () => {
  test('client, topic, type list and secrets come from the query', () => {
    const q = parseTraceQuery(new URLSearchParams('client=c1&topic=a/%2B/%23&type=PUBLISH,subscribe&secrets=1'));
    assert.deepEqual(q, { client: 'c1', topic: 'a/+/#', types: ['publish', 'subscribe'], secrets: true });
    assert.deepEqual(parseTraceQuery(new URLSearchParams('')), { client: undefined, topic: undefined, types: undefined, secrets: false });
    assert.equal(parseTraceRate(new URLSearchParams('rate=5')), 5);
    assert.equal(parseTraceRate(new URLSearchParams('rate=-1')), DEFAULT_TRACE_RATE);
  });

  test('at most `rate` events per second reach a browser; the rest are reported as dropped', async (t) => {
    let emit: ((e: object) => void) | undefined;
    let unsubscribed = false;
    const feed: TraceFeed = {
      watch(_q, onEvent) {
        emit = onEvent;
        return () => (unsubscribed = true);
      },
    };
    const server = createServer((_req, res) => {
      streamTrace(feed, parseTraceQuery(new URLSearchParams()), 3, new SseStream(res));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.after(() => {
      server.closeAllConnections();
      return new Promise((r) => server.close(r));
    });
    const ac = new AbortController();
    const res = await fetch(`http://127.0.0.1:${(server.address() as { port: number }).port}/`, { signal: ac.signal });
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('event: ready')) text += Buffer.from((await reader.read()).value ?? []).toString();
    for (let i = 0; i < 10; i++) emit!({ n: i });
    const deadline = Date.now() + 5000;
    while (!text.includes('event: dropped') && Date.now() < deadline) text += Buffer.from((await reader.read()).value ?? []).toString();
    assert.equal(text.match(/event: packet/g)?.length, 3);
    assert.match(text, /event: dropped\ndata: \{"count":7\}/);
    ac.abort();
    const until = Date.now() + 5000;
    while (!unsubscribed && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.equal(unsubscribed, true, 'a closed browser unsubscribes from the hub');
  });
});

describe('TrafficObserver', () => {
  test('counts per topic and per publisher stay exact when publishers interleave (runs are settled on read)', (t) => {
    const broker = new Broker({ sysInterval: 0 });
    t.after(() => broker.close());
    const traffic = new TrafficObserver(broker);
    traffic.collectFlow = true;
    traffic.start();
    const client = (clientId: string) => ({ clientId }) as ClientInfo;
    const send = (topic: string, who: string) => broker.publish(createMessage(topic, Buffer.from('x'), 0, false, undefined, 0, who), client(who));
    for (const who of ['a', 'a', 'b', 'a', 'b', 'b', 'b']) send('t/1', who);
    send('t/2', 'a');
    traffic.settle();
    assert.equal(traffic.topics.get('t/1')!.count, 7);
    assert.deepEqual([...traffic.topics.get('t/1')!.publishers].sort(), [['a', 3], ['b', 4]]);
    const deltas = traffic.drainFlow().map((d) => `${d.topic} ${d.publisher} ${d.count}`).sort();
    assert.deepEqual(deltas, ['t/1 a 3', 't/1 b 4', 't/2 a 1']);
    assert.deepEqual(traffic.drainFlow(), []);
    traffic.stop();
    send('t/1', 'a');
    assert.equal(traffic.topics.get('t/1')!.count, 7, 'nothing is counted once stopped');
  });
});
