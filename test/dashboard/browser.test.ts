// The dashboard in a real browser (Debian's Chromium through playwright-core) against a real broker and real
// MQTT.js clients: the page loads without console errors, clients appear and leave, published topics show in
// Topics and Flow. Screenshots go to test-artifacts/ for a human to look at.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT } from '../helpers/net.js';
import { brokerWithDashboard, brokerWithTrace, connectClient, ensureWebBuilt, eventually } from './support.js';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'dashboard');
const APPEAR_MS = 2000;

let browser: Browser;

before(async () => {
  ensureWebBuilt();
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
});

after(async () => {
  await browser?.close();
});

/** A page that records every console error and uncaught exception. */
async function openPage(url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  return { page, errors };
}

describe('dashboard in Chromium', () => {
  test('the page loads with no console errors and shows the overview with its listeners', async (t) => {
    const { base, running } = await brokerWithDashboard(t);
    const { page, errors } = await openPage(`${base}/#/overview`);
    t.after(() => page.close());
    await page.locator('[data-stat="connections"] .stat-value').waitFor();
    await page.locator('.uplot').waitFor();
    await page.getByText(`tcp:127.0.0.1:${running.port}`).waitFor();
    await page.waitForTimeout(1200); // one live overview sample
    await page.screenshot({ path: join(ARTIFACTS, 'overview.png'), fullPage: true });
    assert.deepEqual(errors, []);
  });

  test('an MQTT.js client appears in Clients within 2 s and disappears when it leaves', async (t) => {
    const { base, mqttUrl } = await brokerWithDashboard(t);
    const { page, errors } = await openPage(`${base}/#/clients`);
    t.after(() => page.close());
    await page.getByText('No clients connected.').waitFor();
    const client = await connectClient(t, mqttUrl, { clientId: 'dash-client-1', keepalive: 1 });
    const connectedAt = Date.now();
    const row = page.locator('tr[data-client="dash-client-1"]');
    await row.waitFor({ timeout: APPEAR_MS });
    assert.ok(Date.now() - connectedAt <= APPEAR_MS, 'client row within 2 s');
    await new Promise<void>((resolve, reject) => client.subscribe('dash/+/state', { qos: 1 }, (err) => (err ? reject(err) : resolve())));
    await row.locator('.chip', { hasText: 'dash/+/state' }).waitFor({ timeout: APPEAR_MS * 2 });
    assert.match(await row.innerText(), /tcp/);
    assert.match(await row.innerText(), /MQTT 3\.1\.1|MQTT 5\.0/);
    // keepalive 1 s: MQTT.js pings, the strip shows PINGREQ / PINGRESP ticks
    await row.locator('line.tick.pingreq').first().waitFor({ state: 'attached', timeout: 5000 });
    await row.locator('line.tick.pingresp').first().waitFor({ state: 'attached', timeout: 5000 });
    await page.screenshot({ path: join(ARTIFACTS, 'clients.png'), fullPage: true });
    const leftAt = Date.now();
    await new Promise<void>((resolve) => client.end(false, {}, () => resolve()));
    await row.waitFor({ state: 'detached', timeout: APPEAR_MS });
    assert.ok(Date.now() - leftAt <= APPEAR_MS, 'row gone within 2 s');
    assert.deepEqual(errors, []);
  });

  test('the Disconnect button closes the client connection', async (t) => {
    const { base, mqttUrl } = await brokerWithDashboard(t);
    const { page, errors } = await openPage(`${base}/#/clients`);
    t.after(() => page.close());
    const client = await connectClient(t, mqttUrl, { clientId: 'dash-kick', protocolVersion: 5 });
    const closed = new Promise<number | undefined>((resolve) => client.once('disconnect', (p) => resolve(p.reasonCode)));
    const row = page.locator('tr[data-client="dash-kick"]');
    await row.waitFor({ timeout: APPEAR_MS });
    await row.getByRole('button', { name: 'Disconnect' }).click();
    assert.equal(await closed, 0x98); // 5.0 DISCONNECT Administrative action
    await row.waitFor({ state: 'detached', timeout: APPEAR_MS });
    assert.deepEqual(errors, []);
  });

  test('a topic an MQTT.js client publishes appears in Topics (with its payload) and in Flow', async (t) => {
    const { base, mqttUrl } = await brokerWithDashboard(t);
    const { page, errors } = await openPage(`${base}/#/topics`);
    t.after(() => page.close());
    await page.getByText('No topics yet').waitFor();
    const sub = await connectClient(t, mqttUrl, { clientId: 'dash-sub' });
    await new Promise<void>((resolve, reject) => sub.subscribe('plant/+/temperature', (err) => (err ? reject(err) : resolve())));
    const pub = await connectClient(t, mqttUrl, { clientId: 'dash-pub' });
    const timer = setInterval(() => pub.publish('plant/boiler/temperature', JSON.stringify({ celsius: 71.5, ok: true })), 100);
    t.after(() => clearInterval(timer));
    pub.publish('plant/boiler/setpoint', '72', { retain: true });
    const topicRow = page.locator('.tree-row[data-topic="plant/boiler/temperature"]');
    await topicRow.waitFor({ timeout: 5000 });
    await topicRow.click();
    await page.locator('.detail .payload-body').first().waitFor();
    assert.match(await page.locator('.detail').innerText(), /"celsius": 71\.5/);
    assert.match(await page.locator('.detail').innerText(), /dash-sub/);
    assert.match(await page.locator('.detail').innerText(), /dash-pub/);
    await page.locator('.tree-row[data-topic="plant/boiler/setpoint"] .pill.retained').waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'topics.png'), fullPage: true });

    await page.locator('a[data-view="flow"]').click();
    await page.locator('[data-flow-nodes] [data-topic="plant/boiler/temperature"]').waitFor({ state: 'attached', timeout: 5000 });
    await page.locator('[data-flow-nodes] [data-client="dash-pub"]').waitFor({ state: 'attached' });
    await page.locator('[data-flow-nodes] [data-client="dash-sub"]').waitFor({ state: 'attached' });
    await eventually(async () => (/[1-9]\d* msgs in the last batch/.test(await page.locator('[data-flow-counts]').innerText()) ? true : undefined));
    await page.screenshot({ path: join(ARTIFACTS, 'flow.png') });
    assert.deepEqual(errors, []);
  });

  test('Packets: a WebSocket client PUBLISH shows its field tree, frame layer and hex dump; a field highlights its bytes', async (t) => {
    const { base, wsUrl } = await brokerWithTrace(t);
    const { page, errors } = await openPage(`${base}/#/packets`);
    t.after(() => page.close());
    await page.getByText('Waiting for packets').waitFor();
    await page.waitForTimeout(300); // the trace stream is open
    const client = await connectClient(t, wsUrl, { clientId: 'trace-ws' });
    await client.publishAsync('trace/demo', 'hello');
    const row = page.locator('tr[data-packet-type="PUBLISH"]', { hasText: 'trace/demo' }).first();
    await row.waitFor({ timeout: 5000 });
    assert.match(await row.innerText(), /trace-ws/);
    await row.click();
    const detail = page.locator('.detail');
    await detail.locator('h3', { hasText: 'MQTT PUBLISH' }).waitFor();
    await detail.locator('h3', { hasText: 'WebSocket frame' }).first().waitFor();
    await detail.locator('details.layer summary', { hasText: 'WebSocket frame' }).first().click();
    assert.match(await detail.innerText(), /Masking key/);
    const mqttLayer = detail.locator('details.layer', { hasText: 'MQTT PUBLISH' });
    await mqttLayer.locator('[data-field="Topic Name"]').click();
    const lit = mqttLayer.locator('.hex-bytes .byte.hl');
    assert.equal(await lit.count(), 2 + 'trace/demo'.length); // length prefix + UTF-8 bytes [MQTT-1.5.4-1]
    const litHex = (await lit.allInnerTexts()).join('');
    assert.equal(litHex, Buffer.concat([Buffer.from([0, 'trace/demo'.length]), Buffer.from('trace/demo')]).toString('hex'));
    await page.screenshot({ path: join(ARTIFACTS, 'packets.png'), fullPage: true });
    // the type filter reconnects the stream with type=...: only PINGREQ from now on
    await page.locator('.type-filter button', { hasText: 'PINGREQ' }).click();
    await page.locator('button', { hasText: 'Clear' }).click();
    await client.publishAsync('trace/demo', 'not shown');
    await page.waitForTimeout(500);
    assert.equal(await page.locator('tr[data-packet-type="PUBLISH"]').count(), 0);
    assert.deepEqual(errors, []);
  });

  test('the Publish form delivers a test message to an MQTT.js subscriber', async (t) => {
    const { base, mqttUrl } = await brokerWithDashboard(t);
    const sub = await connectClient(t, mqttUrl, { clientId: 'form-sub' });
    await sub.subscribeAsync('form/#');
    const got = new Promise<[string, string]>((resolve) => sub.once('message', (topic, payload) => resolve([topic, payload.toString()])));
    const { page, errors } = await openPage(`${base}/#/publish`);
    t.after(() => page.close());
    await page.locator('input[name="topic"]').fill('form/check');
    await page.locator('textarea[name="payload"]').fill('from the dashboard');
    await page.getByRole('button', { name: 'Publish' }).click();
    assert.deepEqual(await got, ['form/check', 'from the dashboard']);
    await page.getByText('Published 18 bytes to form/check').waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'publish.png') });
    assert.deepEqual(errors, []);
  });
});
