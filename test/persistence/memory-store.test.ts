// The store contract over the in-memory stores (the --memory mode).
import { MemoryRetainedStore, MemorySessionStore } from '../../src/broker/memory-stores.js';
import type { Message } from '../../src/broker/message.js';
import type { Session } from '../../src/broker/session.js';
import { storeContract } from './store-contract.js';

storeContract({
  name: 'memory',
  open: () => ({
    sessions: new MemorySessionStore<Session>(),
    retained: new MemoryRetainedStore<Message>(),
    setNow: () => {},
    close: () => {},
  }),
});
