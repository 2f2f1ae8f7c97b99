// `glassmq broker` as a process with its transport flags: spawn it, wait for its start line, read what it
// announces, and MQTT.js options for each transport it opened. Everything started is stopped by t.after.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { freePort, spawnGlassmq, stopProcess } from '../helpers/net.js';
import { makeTestCerts, type TestCerts } from '../transport/certs.js';

export const START_MS = 30_000;

interface After {
  after(fn: () => unknown): void;
}

export interface BrokerProcess {
  child: ChildProcess;
  /** stdout + stderr so far. */
  output(): string;
  /** Resolves once the output matches (bounded). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** The URLs of the `listening on ...` / `default listeners ... only: ...` line (logged right after "running"). */
  urls(): Promise<string[]>;
}

/** Spawns `glassmq broker ...args` and resolves once it says it is running; rejects with its output if it exits. */
export async function startBroker(t: After, args: string[], env: NodeJS.ProcessEnv = {}): Promise<BrokerProcess> {
  const child = spawnGlassmq(['broker', '--memory', ...args], { env });
  t.after(() => stopProcess(child));
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (d: Buffer): void => {
    out += d.toString();
    for (const w of [...waiters]) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const waitFor = (pattern: RegExp, timeoutMs = START_MS): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        waiters.delete(check);
        child.off('exit', onExit);
      };
      const check = (): void => {
        const m = pattern.exec(out);
        if (!m) return;
        done();
        resolve(m);
      };
      const onExit = (code: number | null): void => {
        done();
        reject(new Error(`glassmq exited (${code}) before ${pattern}:\n${out}`));
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${pattern} after ${timeoutMs} ms:\n${out}`));
      }, timeoutMs);
      waiters.add(check);
      child.once('exit', onExit);
      check();
    });
  await waitFor(/glassmq \S+ running/);
  return {
    child,
    output: () => out,
    waitFor,
    async urls() {
      const m = await waitFor(/(?:listening on|only:) ([^\s,]+(?:, [^\s,]+)*)/);
      return m[1]!.split(', ');
    },
  };
}

/** Test certificates (CA, server for 127.0.0.1/localhost, client CN alice, a foreign CA), removed after the test. */
export function certsFor(t: After): TestCerts {
  const certs = makeTestCerts();
  t.after(() => certs.cleanup());
  return certs;
}

export function tempDir(t: After): string {
  const dir = mkdtempSync(join(tmpdir(), 'glassmq-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

export type Kind = 'tcp' | 'ws' | 'tls' | 'wss' | 'unix';

/** MQTT.js options reaching a listener of kind `kind` at `where` (port, or socket path for unix). */
export function clientOptions(kind: Kind, where: number | string, certs?: TestCerts, extra: IClientOptions = {}): IClientOptions {
  const base: IClientOptions = { reconnectPeriod: 0, connectTimeout: 10_000 };
  const ca = certs ? readFileSync(certs.caFile) : undefined;
  const port = where as number;
  switch (kind) {
    case 'tcp': return { ...base, protocol: 'mqtt', host: '127.0.0.1', port, ...extra };
    case 'ws': return { ...base, protocol: 'ws', host: '127.0.0.1', port, path: '/mqtt', ...extra };
    case 'tls': return { ...base, protocol: 'mqtts', host: '127.0.0.1', port, ca, servername: 'localhost', ...extra };
    case 'wss': return { ...base, protocol: 'wss', host: '127.0.0.1', port, path: '/mqtt', ca, servername: 'localhost', ...extra };
    case 'unix': return { ...base, protocol: 'mqtt', unixSocket: true, path: where as string, ...extra };
  }
}

/** Connects with MQTT.js; the client is ended when the test ends. */
export async function connectClient(t: After, opts: IClientOptions): Promise<MqttClient> {
  const client = await mqtt.connectAsync(opts);
  t.after(() => client.endAsync(true));
  return client;
}

/** The next `count` messages a client receives (bounded). */
export function nextMessages(client: MqttClient, count: number, timeoutMs = 10_000): Promise<{ topic: string; payload: string }[]> {
  return new Promise((resolve, reject) => {
    const got: { topic: string; payload: string }[] = [];
    const timer = setTimeout(() => {
      client.off('message', onMessage);
      reject(new Error(`got ${got.length} of ${count} messages: ${JSON.stringify(got)}`));
    }, timeoutMs);
    const onMessage = (topic: string, payload: Buffer): void => {
      got.push({ topic, payload: payload.toString() });
      if (got.length < count) return;
      clearTimeout(timer);
      client.off('message', onMessage);
      resolve(got);
    };
    client.on('message', onMessage);
  });
}
