// [cluster] The dashboard's Nodes view and GET /api/nodes, in Chromium (playwright-core) against two real glassmq
// nodes on a real redis-server: each node lists both with their clients, subscriptions and messages in/out; a
// killed node leaves the live count; a broker without --cluster shows no Nodes view.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { freePort, REPO_ROOT } from '../helpers/net.js';
import { BOUND, Cleanup, client, DELIVERY_MS, startNode, startRedis, uid, type Node } from '../cluster/support.js';
import { brokerWithDashboard, ensureWebBuilt, eventually, getJson } from './support.js';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'dashboard');
/** The other node's figures are as of its last heartbeat (2 s), and the view polls every 2 s. */
const FIGURES_MS = DELIVERY_MS;

interface NodesBody {
  serverTime: number;
  cluster: boolean;
  node: string | null;
  nodes: { id: string; self: boolean; alive: boolean; clients: number; subscriptions: number; messagesIn: number; messagesOut: number }[];
}

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

describe('two nodes on one Redis, each with its dashboard', () => {
  const cleanup = new Cleanup();
  after(() => cleanup.run());
  let a: Node, b: Node;
  let baseA: string;
  before(async () => {
    const redis = await startRedis(cleanup);
    const [httpA, httpB] = [await freePort(), await freePort()];
    [a, b] = await Promise.all([startNode(cleanup, redis, 'dash-a', ['--http-port', String(httpA)]), startNode(cleanup, redis, 'dash-b', ['--http-port', String(httpB)])]);
    baseA = `http://127.0.0.1:${httpA}`;
  }, BOUND);

  test('GET /api/nodes and the Nodes view list both nodes with their clients, subscriptions and messages in/out', BOUND, async (t) => {
    const root = `dash/${uid()}`;
    // node b: two clients, three subscriptions, 4 messages in; node a: one subscriber that receives them (out)
    const subA = await client(t, a, 5);
    await subA.subscribeAsync(`${root}/#`, { qos: 1 });
    const b1 = await client(t, b, 5);
    const b2 = await client(t, b, 4);
    await b1.subscribeAsync([`${root}/x`, `${root}/y`], { qos: 0 });
    await b2.subscribeAsync(`${root}/z`, { qos: 0 });
    for (let i = 0; i < 4; i++) await b1.publishAsync(`${root}/m`, String(i), { qos: 1 });

    const body = await eventually(async () => {
      const { status, body } = await getJson<NodesBody>(`${baseA}/api/nodes`);
      assert.equal(status, 200);
      const nb = body.nodes.find((n) => n.id === 'dash-b');
      return nb && nb.clients === 2 && nb.subscriptions === 3 && nb.messagesIn >= 4 ? body : undefined;
    }, FIGURES_MS, 250);
    assert.equal(body.cluster, true);
    assert.equal(body.node, 'dash-a');
    assert.deepEqual(body.nodes.map((n) => [n.id, n.self, n.alive]), [['dash-a', true, true], ['dash-b', false, true]]);
    const na = body.nodes[0]!;
    assert.equal(na.clients, 1);
    assert.equal(na.subscriptions, 1);
    assert.deepEqual(Object.keys(na).sort(), ['alive', 'clients', 'id', 'messagesIn', 'messagesOut', 'self', 'subscriptions']);

    const page = await browser.newPage({ viewport: { width: 1280, height: 700 } });
    t.after(() => page.close());
    const errors: string[] = [];
    page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${baseA}/#/nodes`);
    await page.locator('a.tab[data-view="nodes"]').waitFor();
    const rowB = page.locator('tr[data-node="dash-b"]');
    await rowB.waitFor();
    assert.equal(await rowB.locator('[data-field="clients"]').innerText(), '2');
    assert.equal(await rowB.locator('[data-field="subscriptions"]').innerText(), '3');
    assert.match(await rowB.locator('.state').innerText(), /alive/);
    assert.match(await page.locator('tr[data-node="dash-a"]').innerText(), /this node/);
    assert.equal(await page.locator('tfoot [data-field="clients"]').innerText(), '3');
    await page.screenshot({ path: join(ARTIFACTS, 'nodes.png'), fullPage: true });
    assert.deepEqual(errors, []);
  });

  test('a node killed with SIGKILL stops counting: the live count drops to 1 and its clients leave the totals', BOUND, async (t) => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 700 } });
    t.after(() => page.close());
    await page.goto(`${baseA}/#/nodes`);
    await page.locator('tr[data-node="dash-b"]').waitFor();
    await b.kill();
    // the alive key expires after 6 s; then the row says "not beating" until a survivor removes the node
    await page.locator('h1 .count', { hasText: /^1$/ }).waitFor({ timeout: 3 * FIGURES_MS });
    const rowB = page.locator('tr[data-node="dash-b"]');
    if ((await rowB.count()) > 0) assert.match(await rowB.locator('.state').innerText(), /not beating/);
    const ownClients = await page.locator('tr[data-node="dash-a"] [data-field="clients"]').innerText();
    assert.equal(await page.locator('tfoot [data-field="clients"]').innerText(), ownClients);
    await page.screenshot({ path: join(ARTIFACTS, 'nodes-after-kill.png'), fullPage: true });
  });
});

test('without --cluster: /api/nodes says so and the dashboard has no Nodes view', BOUND, async (t) => {
  const { base } = await brokerWithDashboard(t);
  const { status, body } = await getJson<NodesBody>(`${base}/api/nodes`);
  assert.equal(status, 200);
  assert.deepEqual({ cluster: body.cluster, node: body.node, nodes: body.nodes }, { cluster: false, node: null, nodes: [] });
  const page = await browser.newPage();
  t.after(() => page.close());
  await page.goto(`${base}/#/overview`);
  await page.locator('a.tab[data-view="clients"]').waitFor();
  assert.equal(await page.locator('a.tab[data-view="nodes"]').count(), 0);
});
