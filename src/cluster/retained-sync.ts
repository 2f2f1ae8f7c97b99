// Retained messages across nodes, through Redis outages. Every change (set or clear) carries a stamp (ms); Redis
// keeps the newest per topic, a clear as a tombstone (empty payload) for TOMBSTONE_MS. While Redis is away a node
// remembers its own newest change per topic and, when Redis returns, replays it only where Redis holds nothing
// newer; every node then re-reads and keeps the newest. So a topic cleared on one node during an outage stays
// cleared, whatever the other nodes had cached, and a newer set elsewhere still beats an older clear.
//
// A record (HASH value and channel message) is `STAMP\n` + the message-codec bytes. Stamps are the writing node's
// clock; while Redis is up the write script makes them grow per topic whatever the clocks say, so Redis's order
// decides between live writes and clocks only decide between changes made during an outage.
import type { Redis } from 'ioredis';
import type { StoredMessage } from '../broker/ports.js';

/** How long a clear is remembered (in Redis and on each node): outages shorter than this reconcile exactly. */
export const TOMBSTONE_MS = 60 * 60 * 1000;
/** Expired tombstones removed by each clear: enough to keep up, little work per call. */
const PRUNE_BATCH = 20;
const NEWLINE = 0x0a;

/**
 * KEYS: retained HASH, tombstone ZSET. ARGV: topic, stamp, codec bytes, '1' for a clear, channel, 'newer' (replay:
 * write only over an older record) or 'live' (always write, with a stamp above the current one), prune cutoff.
 * Returns 1 if written (and published), 0 if Redis holds a newer change.
 */
export const WRITE_SCRIPT = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
local stamp = tonumber(ARGV[2])
if cur then
  local s = tonumber(string.match(cur, '^(%d+)\\n'))
  if s and s >= stamp then
    if ARGV[6] == 'newer' then return 0 end
    stamp = s + 1
  end
end
local record = string.format('%d', stamp) .. '\\n' .. ARGV[3]
redis.call('HSET', KEYS[1], ARGV[1], record)
if ARGV[4] == '1' then
  redis.call('ZADD', KEYS[2], stamp, ARGV[1])
  for _, t in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[7], 'LIMIT', 0, ${PRUNE_BATCH})) do
    redis.call('ZREM', KEYS[2], t)
    redis.call('HDEL', KEYS[1], t)
  end
else
  redis.call('ZREM', KEYS[2], ARGV[1])
end
redis.call('PUBLISH', ARGV[5], record)
return 1`;

export interface RetainedChange {
  topic: string;
  stamp: number;
  /** undefined: cleared. */
  message: StoredMessage | undefined;
}

/** What this node knows of each topic's newest change, and its own changes Redis has not taken yet. */
export class RetainedStamps {
  /** topic -> stamp of the retained message this node holds. */
  private readonly held = new Map<string, number>();
  /** topic -> stamp of a clear; oldest first (insertion order), forgotten after TOMBSTONE_MS. */
  private readonly cleared = new Map<string, number>();
  /** This node's changes made while Redis could not take them: the newest per topic. */
  private readonly pending = new Map<string, RetainedChange>();

  /** The stamp this node knows for `topic`, -1 if none (a message restored without one is older than any). */
  known(topic: string): number {
    return this.held.get(topic) ?? this.cleared.get(topic) ?? -1;
  }

  /** Whether a record with `stamp` is newer than what this node knows; if so, remembers it. */
  advance(topic: string, stamp: number, isClear: boolean, now: number): boolean {
    if (stamp <= this.known(topic)) return false;
    if (isClear) {
      this.held.delete(topic);
      this.cleared.delete(topic); // re-inserted at the end: the map stays in stamp order
      this.cleared.set(topic, stamp);
      this.forgetOldClears(now);
    } else {
      this.cleared.delete(topic);
      this.held.set(topic, stamp);
    }
    return true;
  }

  /** A change made here: a stamp above both the clock and anything known for the topic. */
  stampFor(topic: string, now: number): number {
    return Math.max(now, this.known(topic) + 1);
  }

  /** Keeps a change for the replay, unless a newer one for its topic is already kept. */
  hold(change: RetainedChange): void {
    const kept = this.pending.get(change.topic);
    if (!kept || kept.stamp <= change.stamp) this.pending.set(change.topic, change);
  }

  /** The changes to replay, oldest first; they are forgotten (a failed replay puts them back with hold()). */
  takePending(): RetainedChange[] {
    const out = [...this.pending.values()].sort((a, b) => a.stamp - b.stamp);
    this.pending.clear();
    return out;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  private forgetOldClears(now: number): void {
    for (const [topic, stamp] of this.cleared) {
      if (stamp >= now - TOMBSTONE_MS) return;
      this.cleared.delete(topic);
    }
  }
}

export function encodeRecord(stamp: number, codecBytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${Math.floor(stamp)}\n`, 'latin1'), codecBytes]);
}

/** Splits a record into its stamp and codec bytes; throws on anything else (an older glassmq's value). */
export function decodeRecord(record: Buffer): { stamp: number; codecBytes: Buffer } {
  const end = record.indexOf(NEWLINE);
  const stamp = end > 0 ? Number(record.toString('latin1', 0, end)) : NaN;
  if (!Number.isSafeInteger(stamp)) throw new Error('retained record without a stamp');
  return { stamp, codecBytes: record.subarray(end + 1) };
}

/** How a change is written: 'live' always (Redis order decides), 'newer' only over an older record (a replay). */
export type WriteMode = 'live' | 'newer';
export type RetainedWrite = (retainedKey: string, clearedKey: string, topic: string, stamp: number, codecBytes: Buffer, clear: '0' | '1', channel: string, mode: WriteMode, pruneBefore: number) => Promise<number>;

const COMMAND = 'glassmqRetain';

/** The write script as a command of `redis` (ioredis sends EVALSHA, and the script once if Redis lost it). */
export function retainedWrite(redis: Redis): RetainedWrite {
  const r = redis as unknown as Record<string, RetainedWrite | undefined>;
  if (!r[COMMAND]) redis.defineCommand(COMMAND, { numberOfKeys: 2, lua: WRITE_SCRIPT });
  return r[COMMAND]!.bind(redis);
}
