// The Redis commands that write a session's changes of one turn: its queue's logged operations and the
// differences of its inflight window (redis-session-store.ts puts them in the turn's MULTI).
import type { StoredDelivery, StoredMessage } from '../broker/ports.js';
import { QueueOp, type RedisQueue } from './redis-queue.js';
import { encodeDelivery } from './session-codec.js';

export type Command = (string | number | Buffer)[];

/** What was last written of a session's inflight window: packet id -> delivery, its state and send order. */
export type WrittenInflight<D> = Map<number, { item: D; state: number; order: number }>;

/** Replays the queue's logged operations on its LIST: runs of pushes and of shifts become one command each. */
export function queueCommands<D extends StoredDelivery<StoredMessage>>(queue: RedisQueue<D>, key: string, cmds: Command[]): void {
  const ops = queue.ops;
  if (ops.length === 0) return;
  const items = queue.opItems;
  for (let i = 0; i < ops.length; ) {
    const op = ops[i]!;
    let j = i + 1;
    while (j < ops.length && ops[j] === op && op !== QueueOp.clear) j++;
    if (op === QueueOp.push || op === QueueOp.unshift) {
      const values: Buffer[] = [];
      for (let k = i; k < j; k++) values.push(encodeDelivery(items[k]!));
      cmds.push([op === QueueOp.push ? 'rpush' : 'lpush', key, ...values]);
    } else if (op === QueueOp.shift) {
      cmds.push(['lpop', key, j - i]);
    } else {
      cmds.push(['del', key]);
    }
    i = j;
  }
  queue.dropOps();
}

/** Writes the inflight window's differences: acknowledged ones go, new ones and QoS 2 state changes are set. */
export function inflightCommands<D extends StoredDelivery<StoredMessage>>(
  session: { readonly inflight: ReadonlyMap<number, D> },
  written: WrittenInflight<D>,
  key: string,
  cmds: Command[],
  nextOrder: () => number,
): void {
  const gone: number[] = [];
  for (const [packetId, old] of written) {
    if (session.inflight.get(packetId) !== old.item) {
      gone.push(packetId);
      written.delete(packetId);
    }
  }
  if (gone.length) cmds.push(['hdel', key, ...gone]);
  const fields: (number | Buffer)[] = [];
  for (const [packetId, d] of session.inflight) {
    const old = written.get(packetId);
    if (old && old.state === d.state) continue;
    const order = old?.order ?? nextOrder();
    fields.push(packetId, encodeDelivery(d, { packetId, state: d.state, order })); // [MQTT-4.3.3-6] PUBREL sent: no PUBLISH again
    written.set(packetId, { item: d, state: d.state, order });
  }
  if (fields.length) cmds.push(['hset', key, ...fields]);
}

