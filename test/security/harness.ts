// Running `glassmq broker -c FILE` and Debian's mosquitto on the same files, and MQTT.js / mosquitto_* clients
// against either, for the security tests.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { spawnGlassmq, stopProcess, waitForPort } from '../helpers/net.js';

export { freePort } from '../helpers/net.js';
export { tempDir } from '../auth/mosquitto-peer.js';

type After = { after(fn: () => Promise<void> | void): void };

export const MOSQUITTO = '/usr/sbin/mosquitto';
/** Start-up bound: tsx transpiling on a 2-core machine shared with other test runs can take many seconds. */
export const START_MS = 60_000;

/** Writes `lines` as a file (mode 0600, as password files are kept) and returns its path. */
export function writeLines(dir: string, name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  chmodSync(path, 0o600);
  return path;
}

/** A password file made by Debian's mosquitto_passwd (batch mode, its default $7$ hashes). */
export function mosquittoPasswdFile(dir: string, users: Record<string, string>): string {
  const path = join(dir, 'passwd');
  let first = true;
  for (const [user, password] of Object.entries(users)) {
    const r = spawnSync('mosquitto_passwd', [...(first ? ['-c'] : []), '-b', path, user, password], { encoding: 'utf8', timeout: 15_000 });
    if (r.status !== 0) throw new Error(`mosquitto_passwd failed: ${r.stderr}`);
    first = false;
  }
  return path;
}

export interface RunningProcess {
  readonly child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves once `pattern` appears in the output (bounded). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

function track(child: ChildProcess): RunningProcess {
  let out = '';
  const waiters = new Set<() => void>();
  const add = (d: Buffer): void => {
    out += d.toString();
    for (const w of waiters) w();
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return {
    child,
    output: () => out,
    waitFor(pattern, timeoutMs = START_MS) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (!pattern.test(out)) return;
          cleanup();
          resolve();
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no ${pattern} in output after ${timeoutMs} ms:\n${out}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** `glassmq broker -c conf [...extra]`, up once its MQTT port accepts; stopped when the test ends. */
export async function startGlassmq(t: After, conf: string, port: number, extra: string[] = []): Promise<RunningProcess> {
  const p = track(spawnGlassmq(['broker', '-c', conf, ...extra]));
  t.after(() => stopProcess(p.child));
  await Promise.race([
    p.waitFor(/glassmq \S+ running/),
    new Promise((_, reject) => p.child.once('exit', (code) => reject(new Error(`glassmq exited ${code}:\n${p.output()}`)))),
  ]);
  await waitForPort(port, '127.0.0.1', START_MS);
  return p;
}

/** Debian's mosquitto on the same configuration file; stopped when the test ends. */
export async function startMosquittoConf(t: After, conf: string, port: number): Promise<RunningProcess> {
  const p = track(spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] }));
  t.after(() => stopProcess(p.child));
  await waitForPort(port);
  return p;
}

/** Stops a process now (the t.after stop is then a no-op). */
export const stop = (p: RunningProcess): Promise<void> => stopProcess(p.child);

/** MQTT.js connection; rejects with the CONNACK code on refusal (err.code). */
export function connect(port: number, opts: IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 10_000, ...opts });
}

/** The CONNACK code a connection attempt gets: 0 on success (the client is closed again). */
export async function connackCode(port: number, opts: IClientOptions): Promise<number> {
  try {
    const c = await connect(port, opts);
    await c.endAsync(true);
    return 0;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'number') return code;
    throw err;
  }
}

/** SUBACK codes, refusals included (MQTT.js rejects a SUBACK holding any failure but carries the packet). */
export async function subackCodes(c: MqttClient, filters: string[]): Promise<number[]> {
  try {
    return (await c.subscribeAsync(filters, { qos: 1 })).map((g) => g.qos);
  } catch (err) {
    const packet = (err as { packet?: { granted?: number[]; reasonCode?: number[] } }).packet;
    const codes = packet?.granted ?? packet?.reasonCode;
    if (!codes) throw err;
    return codes;
  }
}

/**
 * A SUBSCRIBE round trip: both brokers answer it after everything they routed to this client before. Any SUBACK
 * will do, a refusal too (glassmq refuses the filter for clients that may read nothing there).
 */
export const sync = (c: MqttClient): Promise<unknown> => subackCodes(c, ['sync/never']);

/** A command-line client run to completion. */
export function runTool(cmd: string, args: string[], timeoutMs = 15_000): { code: number | null; output: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}
