// [dashboard] Opening the HTTP listener (dashboard UI, JSON API, live streams, /metrics) next to the MQTT
// listeners, and closing it first on shutdown so its streams end before the broker says goodbye.
import type { Logger as PinoLogger } from 'pino';
import type { Broker } from '../broker/broker.js';
import type { Logger } from '../broker/ports.js';
import type { Config, HttpListenerConfig } from '../config/config.js';
import { DEFAULT_HTTP_HOST, DEFAULT_HTTP_PORT } from '../config/config.js';
import type { Dashboard, TraceFeed } from '../dashboard/index.js';
import type { Listener } from '../transport/index.js';
import type { RunningBroker } from './create-broker.js';

/** The HTTP listener to open: the configured one, the default one with the default listener set, or none. */
export function httpListenerConfig(config: Config): HttpListenerConfig | undefined {
  if (config.http === null) return undefined;
  if (config.http) return config.http;
  return config.defaultListeners ? { host: DEFAULT_HTTP_HOST, port: DEFAULT_HTTP_PORT, token: undefined } : undefined;
}

function describe(listener: Listener): { name: string; transport: string; address: string } {
  const a = listener.address();
  return { name: listener.name, transport: listener.transport, address: 'path' in a ? a.path : `${a.host}:${a.port}` };
}

export async function openHttpListener(
  http: HttpListenerConfig,
  broker: Broker,
  listeners: readonly Listener[],
  logger: PinoLogger,
  trace?: TraceFeed,
): Promise<Dashboard> {
  // loaded only when the HTTP listener opens: the dashboard and prom-client are a large part of the startup heap
  const { startDashboard } = await import('../dashboard/index.js');
  const dashboard = await startDashboard({
    broker,
    host: http.host,
    port: http.port,
    token: http.token,
    listeners: listeners.map(describe),
    trace,
    logger: logger as unknown as Logger,
  });
  logger.info(`dashboard: ${dashboard.url} (API, /metrics, /healthz)`);
  if (dashboard.tokenGenerated) {
    logger.info(`dashboard: bound beyond loopback: token ${dashboard.token} (open ${dashboard.url}?token=${dashboard.token})`);
  }
  return dashboard;
}

/** The running broker with the dashboard closed first. */
export function withDashboard(running: RunningBroker, dashboard: Dashboard | undefined): RunningBroker {
  if (!dashboard) return running;
  let closing: Promise<void> | undefined;
  return {
    broker: running.broker,
    host: running.host,
    port: running.port,
    close: () => (closing ??= dashboard.close().then(() => running.close())),
  };
}
