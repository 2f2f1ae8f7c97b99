// Cluster-wide message ids, and the window of ids a moving session remembers.
//
// A message gets an id the first time this node encodes it for Redis (a copy for another node, a session's queue
// or in-flight record): every copy of one message, by whichever path, carries the same id, so a session that is
// moving between nodes (hand-over, adoption of a dead node's sessions) and gets a message twice delivers it once.
// Ids are unique without coordination: a random prefix per process and a counter.
import { randomBytes } from 'node:crypto';
import type { MessageIdWindow, StoredMessage } from '../broker/ports.js';

const PREFIX = `${randomBytes(6).toString('base64url')}.`;
let seq = 0;

/** The message's id, given now if it has none. */
export function messageId(message: StoredMessage): string {
  return (message.id ??= PREFIX + (++seq).toString(36));
}

/** Most ids one session remembers: a second copy arrives within seconds, so older ones can go first. */
export const WINDOW_MAX_IDS = 50_000;

/** Seen ids of one session, the oldest forgotten first beyond `max`; counts the second copies it refused. */
export class RecentIds implements MessageIdWindow {
  private readonly ids = new Set<string>();

  constructor(
    private readonly counter: { duplicates: number },
    private readonly max = WINDOW_MAX_IDS,
  ) {}

  admit(id: string): boolean {
    if (this.ids.has(id)) {
      this.counter.duplicates++;
      return false;
    }
    this.ids.add(id);
    if (this.ids.size > this.max) this.ids.delete(this.ids.values().next().value!); // a Set iterates in insertion order
    return true;
  }

  get size(): number {
    return this.ids.size;
  }
}
