// A share group ($share/{name}/{filter}): its members take turns, one message each (round robin).

export class SharedGroup<T> {
  private readonly members: { key: string; entry: T }[] = [];
  private next = 0;

  constructor(
    readonly name: string,
    readonly filter: string,
  ) {}

  get size(): number {
    return this.members.length;
  }

  /** Adds or replaces a member; returns true if it is new. */
  set(key: string, entry: T): boolean {
    const existing = this.members.find((m) => m.key === key);
    if (existing) {
      existing.entry = entry;
      return false;
    }
    this.members.push({ key, entry });
    return true;
  }

  get(key: string): T | undefined {
    return this.members.find((m) => m.key === key)?.entry;
  }

  delete(key: string): boolean {
    const i = this.members.findIndex((m) => m.key === key);
    if (i < 0) return false;
    this.members.splice(i, 1);
    if (this.next > i) this.next--;
    if (this.next >= this.members.length) this.next = 0;
    return true;
  }

  entries(): T[] {
    return this.members.map((m) => m.entry);
  }

  /**
   * The next member in turn that `accept` allows (e.g. connected, not the leaving member), or, when none does,
   * the next member `fallback` allows (e.g. an offline persistent session that can queue). Advances the turn.
   */
  pick(accept: (entry: T) => boolean, fallback?: (entry: T) => boolean): T | undefined {
    const n = this.members.length;
    for (const test of fallback ? [accept, fallback] : [accept]) {
      for (let k = 0; k < n; k++) {
        const i = (this.next + k) % n;
        const m = this.members[i]!;
        if (test(m.entry)) {
          this.next = (i + 1) % n;
          return m.entry;
        }
      }
    }
    return undefined;
  }
}
