// Debian's mosquitto broker and command-line clients as the reference peer for password and ACL files.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, stopProcess, waitForPort } from '../helpers/net.js';

export const MOSQUITTO = '/usr/sbin/mosquitto';

export function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'glassmq-auth-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Starts mosquitto with `settings` (lines of mosquitto.conf) on a free 127.0.0.1 port and stops it when the
 * test ends. `user root` keeps a root-run mosquitto from switching to the `mosquitto` user, which could not
 * read the 0600 files a test writes.
 */
export async function startMosquitto(t: { after(fn: () => Promise<void> | void): void }, dir: string, settings: string[]): Promise<number> {
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, [`user root`, `listener ${port} 127.0.0.1`, ...settings, ''].join('\n'));
  const child = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  t.after(() => stopProcess(child));
  try {
    await waitForPort(port);
  } catch (err) {
    throw new Error(`mosquitto did not start: ${String(err)}\n${log}`, { cause: err });
  }
  return port;
}

/** mosquitto_pub once; resolves to its exit code and output. */
export function mosquittoPub(args: string[]): { code: number | null; output: string } {
  const r = spawnSync('mosquitto_pub', ['-h', '127.0.0.1', ...args], { encoding: 'utf8', timeout: 15_000 });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

export function mosquittoPasswd(args: string[]): { code: number | null; output: string } {
  const r = spawnSync('mosquitto_passwd', args, { encoding: 'utf8', timeout: 15_000 });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}
