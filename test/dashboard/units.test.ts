// The dashboard's small parts: hook taps, payload previews, trace query parsing and
// the per-browser trace rate limit.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { onHook } from '../../src/dashboard/hook-taps.js';
import { viewPayload, PAYLOAD_PREVIEW_BYTES } from '../../src/dashboard/payload-view.js';
import { parseTraceQuery, parseTraceRate, streamTrace, type TraceFeed, DEFAULT_TRACE_RATE } from '../../src/dashboard/trace-stream.js';
import { SseStream } from '../../src/dashboard/sse.js';
import { TrafficObserver } from '../../src/dashboard/traffic.js';
import { Broker } from '../../src/broker/broker.js';
import { createMessage } from '../../src/broker/message.js';
import type { ClientInfo } from '../../src/broker/hooks.js';

describe('hook taps', () => {
  test("a dashboard tap runs after the embedder's own pinged hook and puts it back when the last listener leaves", async () => {
    const broker = new Broker({ sysInterval: 0 });
    try {
      const calls: string[] = [];
      const own = (c: ClientInfo, type: string): void => void calls.push(`own:${c.clientId}:${type}`);
      broker.hooks.pinged = own;
      const stopA = onHook(broker, 'pinged', (c, type) => calls.push(`a:${c.clientId}:${type}`));
      const stopB = onHook(broker, 'pinged', (c, type) => calls.push(`b:${c.clientId}:${type}`));
      broker.hooks.pinged!({ clientId: 'c1' } as ClientInfo, 'pingreq', 0);
      assert.deepEqual(calls, ['own:c1:pingreq', 'a:c1:pingreq', 'b:c1:pingreq']);
      stopA();
      assert.notEqual(broker.hooks.pinged, own, 'still tapped while one listener is left');
      stopB();
      assert.equal(broker.hooks.pinged, own);
    } finally {
      await broker.close();
    }
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
