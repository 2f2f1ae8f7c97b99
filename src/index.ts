// glassmq as a library: `import { createBroker } from 'glassmq'`.
export { createBroker, DEFAULT_HOST, DEFAULT_PORT, type CreateBrokerOptions, type RunningBroker } from './server/create-broker.js';
export { Broker, type BrokerOptions, type SubscriptionInfo } from './broker/broker.js';
export type { BrokerHooks, AuthenticateContext, ClientInfo, DisconnectCause } from './broker/hooks.js';
export type { BrokerStats } from './broker/stats.js';
export type { Message } from './broker/message.js';
export { DEFAULT_LIMITS, type BrokerLimits } from './broker/limits.js';
export type { Clock, Link, LinkInfo, Logger, TimerHandle, SessionStore, RetainedStore } from './broker/ports.js';
export { systemClock } from './broker/ports.js';
export type { Packet, PublishPacket, QoS, ProtocolVersion } from './protocol/packets.js';
// The web dashboard, HTTP API and /metrics for an embedded broker (docs/dashboard.md).
export { startDashboard, DEFAULT_HTTP_HOST, DEFAULT_HTTP_PORT, type Dashboard, type DashboardOptions } from './dashboard/index.js';
