// Preloaded into a broker under measurement (`node --expose-gc --import ./bench/broker/gc-probe.mjs ...`, spawned
// with an IPC channel): answers 'measure' with process.memoryUsage() after a full GC, and 'snapshot' with the
// path of a heap snapshot. Plain JavaScript, so the broker runs from its built output without tsx.
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';

if (process.send && typeof globalThis.gc === 'function') {
  const gc = globalThis.gc;
  process.on('message', (msg) => {
    if (msg === 'measure') {
      // two passes: the first can leave weak references and finalizers for the second to clear
      gc();
      gc();
      const spaces = Object.fromEntries(getHeapSpaceStatistics().map((sp) => [sp.space_name, sp.physical_space_size]));
      process.send({ kind: 'measure', memory: process.memoryUsage(), spaces });
    } else if (typeof msg === 'object' && msg && msg.kind === 'snapshot') {
      try {
        process.send({ kind: 'snapshot', path: writeHeapSnapshot(msg.path) });
      } catch (err) {
        process.send({ kind: 'snapshot', error: String(err) });
      }
    }
  });
  // the IPC channel must not keep a broker alive that is told to stop
  process.channel?.unref();
}
