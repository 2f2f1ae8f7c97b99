// CONNACK, SUBACK and UNSUBACK of a persistent session are promises that the session, or its subscription change,
// is kept: with a durable store (SQLite, Redis) they leave once the store has committed it, as PUBACK / PUBREC /
// PUBCOMP do. A broker killed before the commit never sent them, so a client is never told "kept" about something
// a crash lost. Sessions that end with their connection are never written: their acknowledgements go at once.
import type { Broker } from './broker.js';
import type { Session } from './session.js';

/** The store's commit barrier when `session` is written there; undefined: nothing of it will be written. */
function barrier(broker: Broker, session: Session): ((fn: () => void) => void) | undefined {
  const store = broker.sessions;
  return session.expiryInterval > 0 && store.afterCommit ? (fn) => store.afterCommit!(fn) : undefined;
}

/** Runs `send` once what `session` changed is durable (at once when nothing will be written). */
export function afterStored(broker: Broker, session: Session, send: () => void): void {
  const wait = barrier(broker, session);
  if (wait) wait(send);
  else send();
}

/** The promise form, for a CONNECT whose later packets must wait too (Connection.waitFor); undefined: at once. */
export function whenStored(broker: Broker, session: Session): Promise<void> | undefined {
  const wait = barrier(broker, session);
  return wait && new Promise<void>((resolve) => wait(resolve));
}
