// The rows the session store reads and writes, as better-sqlite3 returns them, and how a delivery becomes one.
import type { StoredDelivery, StoredMessage, StoredSubscriptionOptions } from '../broker/ports.js';
import { encodeIds, pushMessageValues, type MessageRow } from './record-codec.js';

/** A queue or inflight row: the delivery's own columns and its message's. */
export type DeliveryRow = MessageRow & { qos: number; retain: number; subscription_ids: string | null };
export type QueueRow = DeliveryRow & { seq: number };

/** Appends one deliveries row (DELIVERY_COLUMNS order) to a flat list of values. */
export function pushDelivery(values: unknown[], clientId: string, seq: number, packetId: number | null, state: number, d: StoredDelivery<StoredMessage>): void {
  values.push(clientId, seq, packetId, state, d.qos, d.retain ? 1 : 0, encodeIds(d.subscriptionIds));
  pushMessageValues(values, d.message);
}

export interface SessionRow {
  client_id: string;
  expiry_interval: number;
  offline_since: number | null;
  pending_will: string | Buffer | null;
  connection_will: string | Buffer | null;
}

export interface SubscriptionRow {
  client_id: string;
  filter: string;
  qos: number;
  no_local: number;
  retain_as_published: number;
  retain_handling: number;
  subscription_id: number | null;
}

export type InflightDbRow = DeliveryRow & { client_id: string; seq: number; packet_id: number; state: number };

export function subscriptionOptions(r: SubscriptionRow): StoredSubscriptionOptions {
  return {
    qos: r.qos as StoredSubscriptionOptions['qos'],
    noLocal: r.no_local === 1,
    retainAsPublished: r.retain_as_published === 1,
    retainHandling: r.retain_handling as StoredSubscriptionOptions['retainHandling'],
    subscriptionId: r.subscription_id ?? undefined,
  };
}
