// Moving a session between nodes, before CONNACK. The node accepting a CONNECT claims the client id (one Lua
// script: a new epoch, the registry entry, and a `takeover` event naming the nodes that must answer: the node
// that holds the session and the node of the previous connection). Each of those closes its connection
// (5.0: DISCONNECT 0x8E), writes the session's last state, lets it go (or ends it, for Clean Start) and answers
// `released` once that is in Redis. Then the new node loads the session. Every wait is bounded: a node that does
// not answer is checked for life, and a dead one's sessions are adopted (redis-bus.ts reap) before going on.
// Of two CONNECTs at once on two nodes, the higher epoch wins; the other is refused.
import type { AcquireVerdict, Logger, StoredMessage } from '../broker/ports.js';
import type { LeavingFilter } from './session-forwarding.js';
import { ClientClaims } from './client-claims.js';
import { encodeEvent, type ClusterEvent } from './cluster-events.js';
import { channels, keys } from './keys.js';
import type { StoreLink } from './redis-session-store.js';
import { SessionField } from './session-codec.js';

/** How often a waiting CONNECT checks whether the nodes it waits for are still alive. */
const POLL_MS = 250;
/** Longest wait for an answer from a live node (a dead one is noticed within its alive key's TTL, 6 s). */
const ACQUIRE_MAX_MS = 20_000;

/**
 * KEYS: epoch counter, client registry, the session's HASH, the events channel; ARGV: client id, node, clean.
 * Returns {epoch, node to ask or '', node to ask or ''}.
 */
const CLAIM_SCRIPT = `
local epoch = redis.call('INCR', KEYS[1])
local prev = redis.call('HGET', KEYS[2], ARGV[1])
local owner = redis.call('HGET', KEYS[3], '${SessionField.owner}')
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2] .. ' ' .. epoch)
local ask = {}
if prev then
  local n = string.match(prev, '^(%S+) ')
  if n and n ~= ARGV[2] then ask[#ask + 1] = n end
end
if owner and owner ~= ARGV[2] and owner ~= ask[1] then ask[#ask + 1] = owner end
redis.call('PUBLISH', KEYS[4], cjson.encode({type = 'takeover', node = ARGV[2], clientId = ARGV[1], epoch = epoch, clean = ARGV[3] == '1', ask = ask}))
return {epoch, ask[1] or '', ask[2] or ''}
`;
/** Deletes the registry entry only if it still names this connection (a newer one may have claimed the id). */
const RELEASE_SCRIPT = "if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end return 0";

/** What the hand-over needs from the bus. */
export interface HandoverBus {
  readonly nodeId: string;
  readonly link: StoreLink;
  /** Reaps a dead node (adopting its sessions) unless another survivor does; resolves when done either way. */
  reapNode(node: string): Promise<void>;
  /** Lets a session taken over by `toNode` go (`release`), forwarding what still comes here for it (session-forwarding.ts). */
  leaving(clientId: string, toNode: string, filters: readonly LeavingFilter[], release: () => void): void;
  /** The session came back here: the forwarding of an earlier move stops. */
  stopForwarding(clientId: string): void;
  /** Routes a message to the session of `clientId` only. */
  deliverTo(clientId: string, message: StoredMessage): void;
}

/** Messages forwarded for a session that is still loading here, held until it is (beyond: dropped, counted). */
const PARK_MAX = 10_000;

/** One CONNECT waiting for its session. */
class Acquisition {
  epoch: number | undefined;
  /** The highest epoch another node claimed the id with while ours was unknown. */
  highestRemote = 0;
  superseded = false;
  /** `released` answers heard: node -> epochs. */
  readonly answers: { node: string; epoch: number }[] = [];
  /** Messages the node the session left forwarded before the session was loaded here. */
  readonly parked: StoredMessage[] = [];
  private wake: (() => void) | undefined;

  answered(node: string): boolean {
    return this.answers.some((a) => a.node === node && a.epoch === this.epoch);
  }
  supersede(): void {
    this.superseded = true;
    this.nudge();
  }
  nudge(): void {
    this.wake?.();
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}

export class SessionHandover {
  private readonly claims = new ClientClaims();
  private readonly pending = new Map<string, Acquisition>();
  /** Epochs of finished acquisitions, until the broker's take-over turns them into claims. */
  private readonly acquired = new Map<string, number>();

  constructor(
    private readonly bus: HandoverBus,
    private readonly store: HandoverStore,
    private readonly log: Logger,
  ) {}

  /** Before CONNACK (SessionStore.acquire). */
  acquire(clientId: string, clean: boolean): Promise<AcquireVerdict> | undefined {
    if (!this.bus.link.ready) return undefined; // Redis away: this node decides alone (claimed() records epoch 0)
    this.pending.get(clientId)?.supersede(); // a newer CONNECT for the id on this very node
    this.bus.stopForwarding(clientId); // it comes back: an earlier move away from here is over
    const a = new Acquisition();
    this.pending.set(clientId, a);
    return this.run(clientId, clean, a).finally(() => {
      if (this.pending.get(clientId) === a) this.pending.delete(clientId);
    });
  }

  private async run(clientId: string, clean: boolean, a: Acquisition): Promise<AcquireVerdict> {
    const cmd = this.bus.link.cmd;
    const self = this.bus.nodeId;
    let reply: [number, string, string];
    try {
      reply = (await cmd.eval(CLAIM_SCRIPT, 4, keys.epoch, keys.clients, keys.session(clientId), channels.events, clientId, self, clean ? '1' : '0')) as [number, string, string];
    } catch (err) {
      this.log.warn({ clientId, err: String(err) }, 'cluster: could not claim the client id in Redis; accepting it on this node alone');
      return 'ok';
    }
    a.epoch = Number(reply[0]);
    if (a.highestRemote > a.epoch) a.superseded = true;
    const waiting = new Set([reply[1], reply[2]].filter((n) => n !== ''));
    const asked = new Set(waiting);
    const deadline = Date.now() + ACQUIRE_MAX_MS;
    while (waiting.size > 0 && !a.superseded) {
      for (const n of waiting) if (a.answered(n)) waiting.delete(n);
      if (waiting.size === 0) break;
      if (Date.now() > deadline) {
        this.log.warn({ clientId, nodes: [...waiting] }, 'cluster: no answer about the session from the node(s) that had it; going on with what Redis holds');
        break;
      }
      await a.sleep(POLL_MS);
      for (const n of [...waiting]) {
        if (a.superseded || a.answered(n)) continue;
        if ((await cmd.exists(keys.alive(n))) === 1) continue; // alive: it answers
        await this.bus.reapNode(n); // dead: its sessions are adopted (here, or by the survivor that won the lock)
        const owner = (await cmd.hget(keys.session(clientId), SessionField.owner)) ?? undefined;
        if (owner === n) continue; // another survivor is adopting it: wait for that
        waiting.delete(n);
        if (owner !== undefined && owner !== self && !asked.has(owner)) {
          // adopted by another survivor: ask that one, with the same epoch
          asked.add(owner);
          waiting.add(owner);
          await cmd.publish(channels.events, encodeEvent({ type: 'takeover', node: self, clientId, epoch: a.epoch, clean, ask: [owner] }));
        }
      }
    }
    if (a.superseded) return 'superseded';
    if (clean) this.store.discard(clientId); // [MQTT-3.1.2-4] Clean Start: the old session is not resumed
    else if (!this.store.has(clientId)) await this.store.loadForClient(clientId, () => !a.superseded); // [MQTT-3.1.2-5]
    if (a.superseded) return 'superseded';
    // forwarded while the session was loading: routed now, to it alone (a copy it already holds is skipped by id)
    for (const m of a.parked.splice(0)) this.bus.deliverTo(clientId, m);
    this.acquired.set(clientId, a.epoch);
    return 'ok';
  }

  /** The broker accepted the connection (ClusterBus.claimClientId): its claim decides later take-overs. */
  claimed(clientId: string): void {
    const epoch = this.acquired.get(clientId) ?? 0; // 0: claimed while Redis was away; any claim through Redis wins
    this.acquired.delete(clientId);
    this.claims.resolve(clientId, this.claims.begin(clientId), epoch);
  }

  /** The connection for the client id closed here: its registry entry goes unless a newer one replaced it. */
  release(clientId: string): void {
    const epoch = this.claims.release(clientId);
    if (epoch === undefined || epoch === 0 || !this.bus.link.ready) return;
    this.bus.link.cmd.eval(RELEASE_SCRIPT, 1, keys.clients, clientId, `${this.bus.nodeId} ${epoch}`).catch(() => {});
  }

  /** Another node claimed a client id. [MQTT-3.1.4-3] */
  onTakeover(e: Extract<ClusterEvent, { type: 'takeover' }>): void {
    const a = this.pending.get(e.clientId);
    if (a) {
      if (a.epoch === undefined) a.highestRemote = Math.max(a.highestRemote, e.epoch);
      else if (a.epoch > e.epoch) return; // ours is newer: that node gives up when it hears of ours
      else a.supersede();
    }
    if (!this.claims.remote(e.clientId, e.epoch)) return; // the connection here is newer
    // the session may be mid-load for a CONNECT here whose epoch is not known yet: letting it go is safe, since
    // that CONNECT loads it again from Redis if it turns out to be the newer one
    const clean = e.clean ?? false;
    const filters = clean ? undefined : this.store.leavingFilters(e.clientId);
    if (filters === undefined || filters.length === 0) this.store.releaseLocal(e.clientId, clean);
    else this.bus.leaving(e.clientId, e.node, filters, () => this.store.releaseLocal(e.clientId, false));
    if (e.ask?.includes(this.bus.nodeId)) this.store.answer(e.clientId, e.epoch);
  }

  /**
   * A message the node a session left forwarded for it: routed to the session here, or held while it is still
   * loading for a CONNECT here. False: the session is not here (moved on again): the message is lost (counted).
   */
  forwarded(clientId: string, message: StoredMessage): boolean {
    if (this.store.has(clientId)) {
      this.bus.deliverTo(clientId, message);
      return true;
    }
    const a = this.pending.get(clientId);
    if (!a || a.parked.length >= PARK_MAX) return false;
    a.parked.push(message);
    return true;
  }

  /** A node answered that it let a session go. */
  onReleased(e: Extract<ClusterEvent, { type: 'released' }>): void {
    const a = this.pending.get(e.clientId);
    if (!a) return;
    a.answers.push({ node: e.node, epoch: e.epoch });
    a.nudge();
  }
}

/** The part of the store the hand-over uses. */
export interface HandoverStore {
  has(clientId: string): boolean;
  discard(clientId: string): void;
  loadForClient(clientId: string, wanted: () => boolean): Promise<boolean>;
  releaseLocal(clientId: string, clean: boolean): void;
  answer(clientId: string, epoch: number): void;
  /** The plain (not shared) filters of a persistent session held here; undefined when it is not held or ends. */
  leavingFilters(clientId: string): LeavingFilter[] | undefined;
}
