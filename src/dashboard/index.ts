// src/dashboard public surface: the HTTP listener with the UI, JSON API, live streams and /metrics.
export { startDashboard, DEFAULT_HTTP_HOST, DEFAULT_HTTP_PORT, type Dashboard, type DashboardOptions } from './http-server.js';
export { isLoopbackHost, generateToken } from './access.js';
export type { TraceFeed, TraceQuery } from './trace-stream.js';
export type { ListenerView } from './views.js';
