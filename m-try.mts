import { Redis } from 'ioredis';
process.on('unhandledRejection', (e) => console.log('UNHANDLED', String(e)));
const r = new Redis(1, '127.0.0.1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
r.on('error', () => {});
r.xaddBuffer('k', 'NOMKSTREAM', '*', 'm', Buffer.from('x'), (e, id) => console.log('cb', String(e), id));
await new Promise((res) => setTimeout(res, 200));
console.log('done');
