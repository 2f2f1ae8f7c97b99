// A real browser: Debian's Chromium (driven by playwright-core) loads MQTT.js's browser bundle from a page this
// test serves, and publishes/subscribes over ws:// to the broker; a Node MQTT.js client is on the other side.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { once } from 'node:events';
import mqtt from 'mqtt';
import { chromium, type Browser } from 'playwright-core';
import { makeTestCerts, type TestCerts } from './certs.js';
import { startHarness } from './harness.js';
import { waitFor } from './util.js';

const require = createRequire(import.meta.url);
const BUNDLE = join(dirname(require.resolve('mqtt/package.json')), 'dist', 'mqtt.min.js');

let certs: TestCerts;
before(() => {
  certs = makeTestCerts();
});
after(() => certs.cleanup());

const PAGE = `<!doctype html><meta charset="utf-8"><title>glassmq browser test</title>
<script src="/mqtt.min.js"></script>
<script>
  window.events = [];
  window.start = (url) => {
    const client = mqtt.connect(url, { clientId: 'chromium', reconnectPeriod: 0 });
    client.on('connect', () => {
      window.events.push('connected');
      client.subscribe('browser/in', { qos: 1 }, () => {
        window.events.push('subscribed');
        client.publish('browser/out', 'hello from chromium', { qos: 1 });
      });
    });
    client.on('message', (topic, payload) => window.events.push('message ' + topic + ' ' + payload.toString()));
    client.on('error', (e) => window.events.push('error ' + e.message));
  };
</script>`;

test('chromium + MQTT.js browser bundle over ws:// [MQTT-6.0.0-4]: publish and subscribe through glassmq', { timeout: 60_000 }, async (t) => {
  const h = await startHarness('ws', certs);
  t.after(() => h.close());
  const wsPort = (h.listener.address() as { port: number }).port;

  const web = createServer((req, res) => {
    if (req.url === '/mqtt.min.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript' });
      res.end(readFileSync(BUNDLE));
    } else {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(PAGE);
    }
  });
  web.listen(0, '127.0.0.1');
  await once(web, 'listening');
  t.after(() => new Promise((r) => web.close(r)));
  const webPort = (web.address() as { port: number }).port;

  const node = await mqtt.connectAsync(h.mqttOptions());
  t.after(() => node.endAsync(true));
  const fromBrowser: string[] = [];
  node.on('message', (_topic, p) => fromBrowser.push(p.toString()));
  await node.subscribeAsync('browser/out', { qos: 1 });

  const browser: Browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  t.after(() => browser.close());
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${webPort}/`);
  // These functions run inside the page, where the global object is the window.
  await page.evaluate((url) => (globalThis as unknown as { start(u: string): void }).start(url), `ws://127.0.0.1:${wsPort}/mqtt`);
  const events = () => page.evaluate(() => (globalThis as unknown as { events: string[] }).events);

  let seen: string[] = [];
  const until = async (what: string) => {
    const deadline = Date.now() + 20_000;
    while (!(seen = await events()).includes(what)) {
      if (Date.now() > deadline) throw new Error(`browser never reported "${what}"; events: ${JSON.stringify(seen)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await until('subscribed');
  await waitFor(() => fromBrowser.includes('hello from chromium'), 'browser -> node');
  await node.publishAsync('browser/in', 'hello chromium', { qos: 1 });
  await until('message browser/in hello chromium');

  const info = h.connected.find((c) => c.clientId === 'chromium')!.link;
  assert.equal(info.transport, 'ws');
  assert.equal(info.remoteAddress, '127.0.0.1');
  assert.deepEqual(seen.filter((e) => e.startsWith('error')), []);
});
