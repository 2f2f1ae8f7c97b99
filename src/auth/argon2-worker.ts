// Argon2id off the event loop. A pure-JavaScript argon2id with mosquitto-like costs takes seconds and tens of
// MiB per login; run on the broker's thread, and concurrently, a burst of logins would stall every client and
// could exhaust memory. One worker thread computes one hash at a time (memory bounded by the largest `m`),
// and at most MAX_PENDING logins wait; beyond that a login is refused rather than queued without bound.
import { Worker } from 'node:worker_threads';

export interface Argon2Job {
  password: Buffer;
  salt: Buffer;
  memoryKiB: number;
  passes: number;
  parallelism: number;
  length: number;
}

export const MAX_PENDING = 64;
const KIB = 1024;

// CommonJS source for an eval'd worker; it loads @noble/hashes by the absolute URL the main thread resolved.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const loaded = import(workerData.moduleUrl);
parentPort.on('message', async (job) => {
  try {
    const { argon2id } = await loaded;
    const hash = argon2id(job.password, job.salt, { m: job.memoryKiB, t: job.passes, p: job.parallelism, dkLen: job.length, maxmem: (job.memoryKiB + 1) * ${KIB} });
    parentPort.postMessage({ id: job.id, hash });
  } catch (err) {
    parentPort.postMessage({ id: job.id, error: String(err && err.message || err) });
  }
});
`;

interface Pending {
  resolve(hash: Buffer): void;
  reject(err: Error): void;
}

let worker: Worker | null = null;
let nextId = 1;
const pending = new Map<number, Pending>();

function failAll(err: Error): void {
  for (const p of pending.values()) p.reject(err);
  pending.clear();
  worker = null;
}

function getWorker(): Worker {
  if (worker) return worker;
  const moduleUrl = import.meta.resolve('@noble/hashes/argon2.js');
  const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { moduleUrl } });
  w.on('message', (msg: { id: number; hash?: Uint8Array; error?: string }) => {
    const job = pending.get(msg.id);
    if (!job) return;
    pending.delete(msg.id);
    if (pending.size === 0) w.unref(); // an idle worker must not keep the process alive
    if (msg.hash) job.resolve(Buffer.from(msg.hash));
    else job.reject(new Error(msg.error ?? 'argon2id failed'));
  });
  w.on('error', (err) => failAll(err));
  w.on('exit', () => failAll(new Error('argon2id worker stopped')));
  worker = w;
  return w;
}

/** The argon2id hash of `job.password`; rejects when MAX_PENDING logins are already waiting. */
export function argon2idInWorker(job: Argon2Job): Promise<Buffer> {
  if (pending.size >= MAX_PENDING) return Promise.reject(new Error('too many argon2id verifications waiting'));
  const w = getWorker();
  const id = nextId++;
  return new Promise<Buffer>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.ref();
    w.postMessage({ id, ...job });
  });
}
