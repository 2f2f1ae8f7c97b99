// In-memory implementations of the SessionStore and RetainedStore ports (the default, and `--memory`).
import type { RetainedRecord, RetainedStore, SessionChange, SessionStore } from './ports.js';
import { topicLevels, topicMatches } from './topic-levels.js';

export class MemorySessionStore<S extends { readonly clientId: string }> implements SessionStore<S> {
  private readonly sessions = new Map<string, S>();

  get(clientId: string): S | undefined {
    return this.sessions.get(clientId);
  }
  set(session: S): void {
    this.sessions.set(session.clientId, session);
  }
  delete(clientId: string): void {
    this.sessions.delete(clientId);
  }
  values(): IterableIterator<S> {
    return this.sessions.values();
  }
  get size(): number {
    return this.sessions.size;
  }
  changed(_session: S, _what: SessionChange): void {
    // memory is the source of truth: nothing to write
  }
}

export class MemoryRetainedStore<M extends { readonly payload: Buffer }> implements RetainedStore<M> {
  private readonly messages = new Map<string, M>();
  private payloadBytes = 0;

  get(topic: string): M | undefined {
    return this.messages.get(topic);
  }

  set(topic: string, message: M | undefined): void {
    const old = this.messages.get(topic);
    if (old) this.payloadBytes -= old.payload.length;
    if (message === undefined) {
      this.messages.delete(topic);
    } else {
      this.messages.set(topic, message);
      this.payloadBytes += message.payload.length;
    }
  }

  *match(filter: string): IterableIterator<RetainedRecord<M>> {
    const f = filter.split('/');
    const wild = filter.includes('+') || filter.includes('#');
    if (!wild) {
      const m = this.messages.get(filter);
      if (m) yield { topic: filter, message: m };
      return;
    }
    // A scan: subscribing with a wildcard is rare next to publishing; a trie index can replace this if needed.
    for (const [topic, message] of this.messages) {
      if (topicMatches(f, topicLevels(topic))) yield { topic, message };
    }
  }

  get size(): number {
    return this.messages.size;
  }

  get bytes(): number {
    return this.payloadBytes;
  }
}
