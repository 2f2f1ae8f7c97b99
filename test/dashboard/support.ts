// Shared by the dashboard tests: a broker with its HTTP listener in this process, the front end built when it
// is missing or older than its sources, MQTT.js clients that are always closed, and small HTTP helpers.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import mqtt, { type MqttClient, type IClientOptions } from 'mqtt';
import { createBroker, runningBroker, type RunningBroker } from '../../src/server/create-broker.js';
import { Broker } from '../../src/broker/broker.js';
import { createTcpListener, createWsListener } from '../../src/transport/index.js';
import { TraceHub } from '../../src/inspect/live/trace-hub.js';
import { startDashboard, type Dashboard, type DashboardOptions } from '../../src/dashboard/index.js';
import { REPO_ROOT } from '../helpers/net.js';

export const WEB_DIST = join(REPO_ROOT, 'web', 'dist');
const WEB_SRC = join(REPO_ROOT, 'web', 'src');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    newest = Math.max(newest, s.isDirectory() ? newestMtime(p) : s.mtimeMs);
  }
  return newest;
}

/** Runs `npm run build:web` when web/dist is missing or older than web/src (browser tests need the real UI). */
export function ensureWebBuilt(): void {
  const index = join(WEB_DIST, 'index.html');
  const built = existsSync(index) && existsSync(join(WEB_DIST, 'app.js')) ? statSync(join(WEB_DIST, 'app.js')).mtimeMs : 0;
  if (built >= newestMtime(WEB_SRC) && built >= statSync(join(REPO_ROOT, 'web', 'build.mjs')).mtimeMs) return;
  execFileSync(process.execPath, [join(REPO_ROOT, 'web', 'build.mjs')], { cwd: REPO_ROOT, stdio: 'inherit' });
}

export interface Setup {
  readonly running: RunningBroker;
  readonly dashboard: Dashboard;
  readonly mqttUrl: string;
  readonly base: string;
}

/** A broker on a free port with its dashboard on another; both closed when the test ends. */
export async function brokerWithDashboard(t: TestContext, opts: Partial<DashboardOptions> = {}): Promise<Setup> {
  const running = await createBroker({ host: '127.0.0.1', port: 0, sysInterval: 0 });
  let dashboard: Dashboard;
  try {
    const listener = { name: `tcp:${running.host}:${running.port}`, transport: 'tcp', address: `${running.host}:${running.port}` };
    dashboard = await startDashboard({ broker: running.broker, host: '127.0.0.1', port: 0, processMetrics: false, listeners: [listener], ...opts });
  } catch (err) {
    await running.close();
    throw err;
  }
  t.after(async () => {
    await dashboard.close();
    await running.close();
  });
  const base = `http://127.0.0.1:${dashboard.port}`;
  return { running, dashboard, mqttUrl: `mqtt://127.0.0.1:${running.port}`, base };
}

/** An MQTT.js client, connected, closed at the end of the test. */
export async function connectClient(t: TestContext, url: string, opts: IClientOptions = {}): Promise<MqttClient> {
  const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
  t.after(() => new Promise<void>((resolve) => client.end(true, {}, () => resolve())));
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  return client;
}

export async function getJson<T = Record<string, unknown>>(url: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

/** Polls `check` until it returns a value (not undefined) or `timeoutMs` passes. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 5000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
}

export interface TracedSetup extends Setup {
  readonly wsUrl: string;
  readonly hub: TraceHub;
}

/**
 * A broker wired the way the composition root wires it for tracing: TCP and WebSocket listeners whose links are
 * registered with a trace hub, and the dashboard streaming from that hub.
 */
export async function brokerWithTrace(t: TestContext): Promise<TracedSetup> {
  const broker = new Broker({ sysInterval: 0 });
  const hub = new TraceHub({
    lookup: (info) => {
      const c = broker.clients().find((x) => x.link.remoteAddress === info.remoteAddress && x.link.remotePort === info.remotePort);
      return c && { clientId: c.clientId, protocolVersion: c.protocolVersion };
    },
  });
  const listeners = [createTcpListener({ host: '127.0.0.1', port: 0 }), createWsListener({ host: '127.0.0.1', port: 0 })];
  const running = runningBroker(broker, listeners);
  const opened: { dashboard?: Dashboard } = {};
  t.after(async () => {
    await opened.dashboard?.close();
    await running.close();
  });
  for (const l of listeners) {
    await l.listen((link) => {
      hub.register(link);
      broker.handleLink(link);
    });
  }
  const views = listeners.map((l) => {
    const a = l.address() as { host: string; port: number };
    return { name: l.name, transport: l.transport, address: `${a.host}:${a.port}` };
  });
  const dashboard = (opened.dashboard = await startDashboard({ broker, host: '127.0.0.1', port: 0, processMetrics: false, listeners: views, trace: hub }));
  const ws = listeners[1]!.address() as { port: number };
  return { running, dashboard, hub, base: `http://127.0.0.1:${dashboard.port}`, mqttUrl: `mqtt://127.0.0.1:${running.port}`, wsUrl: `ws://127.0.0.1:${ws.port}/mqtt` };
}
