// Keepalive [MQTT-3.1.2-22] (5.0) / [MQTT-3.1.2-24] (3.1.1): a connection silent for 1.5 x its keepalive is cut.
// Receiving a packet only stores the time. Monitors with the same period share one timer: they wait in a list
// ordered by due time (the monitor is the list node), and the list's single timer is armed for the first one. When
// a monitor comes due, it re-queues itself for the remaining time if a packet arrived meanwhile, so the deadline
// is exact (lastSeen + 1.5 x keepalive) without a timer, a closure or a list move per packet or per connection.
import type { Clock, TimerHandle } from './ports.js';

const GRACE_FACTOR = 1.5;

/** The monitors of one clock with one period, in due order, behind one timer. */
class DueList {
  head: KeepaliveMonitor | undefined;
  tail: KeepaliveMonitor | undefined;
  private timer: TimerHandle | undefined;
  private timerAt = 0;

  constructor(private readonly clock: Clock) {}

  /** Inserts in due order; almost always at the tail (due times grow with the clock). */
  insert(m: KeepaliveMonitor): void {
    let after = this.tail;
    while (after !== undefined && after.due > m.due) after = after.prev;
    m.prev = after;
    m.next = after ? after.next : this.head;
    if (m.next) m.next.prev = m;
    else this.tail = m;
    if (after) after.next = m;
    else this.head = m;
    if (this.head === m) this.arm();
  }

  remove(m: KeepaliveMonitor): void {
    if (m.prev) m.prev.next = m.next;
    else this.head = m.next;
    if (m.next) m.next.prev = m.prev;
    else this.tail = m.prev;
    m.prev = m.next = undefined;
    // an empty list holds no timer; a later head only makes the timer fire early, and it re-arms
    if (!this.head) this.disarm();
  }

  private arm(): void {
    const head = this.head!;
    if (this.timer !== undefined && this.timerAt <= head.due) return;
    this.disarm();
    this.timerAt = head.due;
    this.timer = this.clock.setTimeout(this.fire, Math.max(0, head.due - this.clock.now()));
    this.timer.unref?.();
  }

  private disarm(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    const now = this.clock.now();
    for (let m = this.head; m !== undefined && m.due <= now; m = this.head) {
      this.remove(m);
      m.comeDue(now);
    }
    if (this.head) this.arm();
  };
}

/** One list per clock and period: the connections of a broker mostly share a handful of keepalive values. */
const lists = new WeakMap<Clock, Map<number, DueList>>();

function listFor(clock: Clock, limitMs: number): DueList {
  let byPeriod = lists.get(clock);
  if (!byPeriod) lists.set(clock, (byPeriod = new Map()));
  let list = byPeriod.get(limitMs);
  if (!list) byPeriod.set(limitMs, (list = new DueList(clock)));
  return list;
}

export class KeepaliveMonitor {
  private lastSeen: number;
  private readonly limitMs: number;
  private list: DueList | undefined;
  /** When this monitor is next looked at (clock ms); its place in the list. */
  due = 0;
  prev: KeepaliveMonitor | undefined;
  next: KeepaliveMonitor | undefined;

  constructor(
    keepaliveSeconds: number,
    private readonly clock: Clock,
    private readonly owner: { keepaliveExpired(): void },
  ) {
    this.limitMs = keepaliveSeconds * 1000 * GRACE_FACTOR;
    this.lastSeen = clock.now();
    if (this.limitMs > 0) {
      this.list = listFor(clock, this.limitMs);
      this.due = this.lastSeen + this.limitMs;
      this.list.insert(this);
    }
  }

  /** Called for every packet received: cheap on purpose. */
  touch(): void {
    this.lastSeen = this.clock.now();
  }

  /** Clock ms of the last received bytes (read by the dashboard's once-a-second client list). */
  get lastReceivedAt(): number {
    return this.lastSeen;
  }

  /** The time (clock ms) at which the connection will be cut if nothing arrives, or undefined when off. */
  get deadline(): number | undefined {
    return this.limitMs > 0 ? this.lastSeen + this.limitMs : undefined;
  }

  stop(): void {
    this.list?.remove(this);
    this.list = undefined;
  }

  /** Called by the list (already unlinked) once `due` has passed. */
  comeDue(now: number): void {
    const deadline = this.lastSeen + this.limitMs;
    if (deadline > now) {
      this.due = deadline;
      this.list!.insert(this);
      return;
    }
    this.list = undefined;
    this.owner.keepaliveExpired();
  }
}
