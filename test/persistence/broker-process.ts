// A real `glassmq broker` process on a data directory, for the crash tests: start it, kill -9 it, start it
// again on the same directory and port.
import type { TestContext } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { freePort, spawnGlassmq, stopProcess, waitForPort } from '../helpers/net.js';

/** Generous bound for one step on a loaded 2-core machine; still finite. */
export const STEP_MS = 30_000;

export class BrokerProcess {
  private child: ChildProcess | undefined;
  stderr = '';

  private constructor(
    readonly port: number,
    readonly dataDir: string,
    readonly extraArgs: string[],
  ) {}

  static async start(t: TestContext, extraArgs: string[] = []): Promise<BrokerProcess> {
    const dataDir = mkdtempSync(join(tmpdir(), 'glassmq-crash-'));
    const b = new BrokerProcess(await freePort(), dataDir, extraArgs);
    t.after(async () => {
      await b.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });
    await b.launch();
    return b;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async launch(): Promise<void> {
    const child = spawnGlassmq(['broker', '--port', String(this.port), '--data-dir', this.dataDir, '--sys-interval', '0', ...this.extraArgs]);
    this.child = child;
    child.stderr!.on('data', (d) => (this.stderr += d));
    child.stdout!.resume();
    await Promise.race([
      waitForPort(this.port, '127.0.0.1', STEP_MS),
      new Promise((_, reject) => child.once('exit', (code) => reject(new Error(`broker exited (${code}): ${this.stderr}`)))),
    ]);
  }

  /** kill -9: no shutdown, no last commit. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  async stop(): Promise<void> {
    if (this.child) await stopProcess(this.child);
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  client(opts: IClientOptions): Promise<MqttClient> {
    return mqtt.connectAsync(this.url, { reconnectPeriod: 0, connectTimeout: STEP_MS, ...opts });
  }

  /**
   * Connects, collecting every PUBLISH from the first byte on (queued messages arrive right behind CONNACK),
   * and reports the CONNACK's Session Present flag.
   */
  connect(opts: IClientOptions): Promise<{ client: MqttClient; sessionPresent: boolean; messages: Received[] }> {
    const client = mqtt.connect(this.url, { reconnectPeriod: 0, connectTimeout: STEP_MS, ...opts });
    const messages: Received[] = [];
    client.on('message', (topic, payload, packet) => {
      messages.push({ topic, payload: payload.toString(), retain: packet.retain, ids: packet.properties?.subscriptionIdentifier });
    });
    return new Promise((resolve, reject) => {
      client.once('connect', (connack) => resolve({ client, sessionPresent: connack.sessionPresent, messages }));
      client.once('error', reject);
    });
  }
}

export interface Received {
  topic: string;
  payload: string;
  retain: boolean;
  ids: number | number[] | undefined;
}

/** Resolves when `check()` is true, polling; rejects after ms with `what`. */
export async function until(check: () => boolean, what: string, ms = STEP_MS): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
