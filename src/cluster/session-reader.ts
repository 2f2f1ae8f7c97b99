// Reading one session from Redis (session-codec.ts records) into the broker's live objects (SessionFactory): its
// HASH, its queue LIST and its inflight HASH, read after the node that held it has written its last state.
import type { Redis } from 'ioredis';
import type { Logger, SessionFactory, StoredDelivery, StoredMessage, StoredSession, StoredSubscriptionOptions } from '../broker/ports.js';
import type { Will } from '../protocol/packets.js';
import { keys } from './keys.js';
import { RedisQueue } from './redis-queue.js';
import { decodeDelivery, decodeSubscriptions, decodeWillField, SessionField as F, type DecodedDelivery } from './session-codec.js';

/** A session read from Redis, before it is installed here. */
export interface LoadedSession<S> {
  readonly session: S;
  readonly subscriptions: { filter: string; options: StoredSubscriptionOptions }[];
  readonly owner: string;
  /** undefined: it had a connection when it was last written. */
  readonly offlineSince: number | undefined;
  readonly connectionWill: Will | undefined;
}

/** The session of `clientId` as Redis holds it, as live objects (not yet held by this node); undefined: none. */
export async function readSession<S extends StoredSession<D>, D extends StoredDelivery<M>, M extends StoredMessage>(
  cmd: Redis,
  clientId: string,
  factory: SessionFactory<S, D, M>,
  log: Logger,
): Promise<LoadedSession<S> | undefined> {
  const [hash, list, inflight] = await Promise.all([
    cmd.hgetallBuffer(keys.session(clientId)),
    cmd.lrangeBuffer(keys.queue(clientId), 0, -1),
    cmd.hgetallBuffer(keys.inflight(clientId)),
  ]);
  const owner = hash[F.owner]?.toString();
  if (owner === undefined) return undefined;
  const queue = new RedisQueue<D>(factory.queue());
  const session = factory.session(clientId, queue);
  let bytes = 0;
  for (const record of list) {
    const d = delivery(record, factory, log);
    if (!d) continue;
    queue.push(d); // not logging yet: nothing is written back
    bytes += d.message.payload.length;
  }
  session.queuedBytes = bytes;
  session.expiryInterval = Number(hash[F.expiry]?.toString() ?? '0');
  for (const id of (hash[F.incoming]?.toString() ?? '').split(',')) if (id) session.incomingQos2.add(Number(id));
  session.pendingWill = decodeWillField(hash[F.pendingWill]);
  const sent: { d: D; order: number }[] = [];
  for (const record of Object.values(inflight)) {
    const decoded = decodeOrWarn(record, log);
    if (!decoded) continue;
    const d = factory.delivery(factory.message(decoded.message) as D['message'], decoded.qos, decoded.retain, decoded.subscriptionIds);
    d.packetId = decoded.packetId;
    d.state = decoded.state;
    sent.push({ d, order: decoded.order });
  }
  sent.sort((a, b) => a.order - b.order); // resent in the order they were first sent [MQTT-4.6.0-1]
  for (const { d } of sent) session.inflight.set(d.packetId, d);
  const offline = hash[F.offline]?.toString();
  return {
    session,
    subscriptions: decodeSubscriptions(hash[F.subscriptions]),
    owner,
    offlineSince: offline ? Number(offline) : undefined,
    connectionWill: decodeWillField(hash[F.will]),
  };
}

function delivery<S, D extends StoredDelivery<M>, M extends StoredMessage>(record: Buffer, factory: SessionFactory<S, D, M>, log: Logger): D | undefined {
  const decoded = decodeOrWarn(record, log);
  if (!decoded) return undefined;
  return factory.delivery(factory.message(decoded.message) as D['message'], decoded.qos, decoded.retain, decoded.subscriptionIds);
}

function decodeOrWarn(record: Buffer, log: Logger): DecodedDelivery | undefined {
  try {
    return decodeDelivery(record);
  } catch (err) {
    log.warn({ err: String(err) }, 'cluster: skipped a stored delivery that could not be read');
    return undefined;
  }
}

