// Real peers for the CLI tests: a mosquitto broker (tcp, websockets, TLS, and a listener that refuses everyone),
// a test CA and server certificate made by openssl, and helpers to run and watch child processes.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, chmodSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort, stopProcess } from '../../helpers/net.js';

export interface Certs {
  dir: string;
  ca: string;
  cert: string;
  key: string;
  /** A client certificate signed by the same CA. */
  clientCert: string;
  clientKey: string;
}

/** CA + server certificate for 127.0.0.1 / localhost, in a fresh temp dir. */
export function makeCerts(): Certs {
  const dir = mkdtempSync(join(tmpdir(), 'glassmq-cli-tls-'));
  const p = (n: string) => join(dir, n);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', p('ca.key'), '-out', p('ca.crt'), '-days', '2', '-subj', '/CN=glassmq test CA');
  writeFileSync(p('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  ssl('req', ...ec, '-keyout', p('server.key'), '-out', p('server.csr'), '-subj', '/CN=localhost');
  ssl('x509', '-req', '-in', p('server.csr'), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-CAcreateserial',
    '-out', p('server.crt'), '-days', '2', '-extfile', p('san.ext'));
  ssl('req', ...ec, '-keyout', p('client.key'), '-out', p('client.csr'), '-subj', '/CN=glassmq-client');
  ssl('x509', '-req', '-in', p('client.csr'), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-CAcreateserial',
    '-out', p('client.crt'), '-days', '2');
  // mosquitto started as root drops to its own user, which must be able to read the files
  chmodSync(dir, 0o755);
  for (const f of readdirSync(dir)) chmodSync(p(f), 0o644);
  return { dir, ca: p('ca.crt'), cert: p('server.crt'), key: p('server.key'), clientCert: p('client.crt'), clientKey: p('client.key') };
}

/** A server certificate for `name` only (no IP address), signed by the test CA: host name checks fail for 127.0.0.1. */
export function makeNamedCert(certs: Certs, name: string): { cert: string; key: string } {
  const p = (n: string) => join(certs.dir, n);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  writeFileSync(p(`${name}.ext`), `subjectAltName=DNS:${name}\n`);
  ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', p(`${name}.key`), '-out', p(`${name}.csr`), '-subj', `/CN=${name}`);
  ssl('x509', '-req', '-in', p(`${name}.csr`), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-CAcreateserial',
    '-out', p(`${name}.crt`), '-days', '2', '-extfile', p(`${name}.ext`));
  return { cert: p(`${name}.crt`), key: p(`${name}.key`) };
}

export interface Mosquitto {
  /** Plain MQTT listener, anonymous allowed. */
  port: number;
  /** MQTT over WebSockets. */
  wsPort: number;
  /** MQTT over WebSockets over TLS. */
  wssPort: number;
  /** MQTT over TLS with the test server certificate. */
  tlsPort: number;
  /** Refuses every client (no anonymous, no password file): CONNACK "not authorised". */
  denyPort: number;
  /** Needs user name and password (PASSWORD_USER / PASSWORD). */
  authPort: number;
  /** Unix domain socket listener. */
  socketPath: string;
  certs: Certs;
  stop(): Promise<void>;
}

export const PASSWORD_USER = 'alice';
export const PASSWORD = 'w0nder:land@';

export async function startMosquitto(): Promise<Mosquitto> {
  const certs = makeCerts();
  const [port, wsPort, wssPort, tlsPort, denyPort, authPort] = [
    await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort(),
  ];
  const conf = join(certs.dir, 'mosquitto.conf');
  const passwords = join(certs.dir, 'passwords');
  execFileSync('/usr/bin/mosquitto_passwd', ['-c', '-b', passwords, PASSWORD_USER, PASSWORD], { stdio: 'pipe' });
  chmodSync(passwords, 0o644);
  const socketDir = join(certs.dir, 'sock');
  mkdirSync(socketDir);
  chmodSync(socketDir, 0o777); // mosquitto binds the socket after dropping to its own user
  const socketPath = join(socketDir, 'mqtt.sock');
  writeFileSync(conf, [
    'per_listener_settings true',
    `listener ${port} 127.0.0.1`, 'allow_anonymous true',
    `listener ${wsPort} 127.0.0.1`, 'protocol websockets', 'allow_anonymous true',
    `listener ${wssPort} 127.0.0.1`, 'protocol websockets', `certfile ${certs.cert}`, `keyfile ${certs.key}`, 'allow_anonymous true',
    `listener ${tlsPort} 127.0.0.1`, `cafile ${certs.ca}`, `certfile ${certs.cert}`, `keyfile ${certs.key}`, 'allow_anonymous true',
    `listener ${denyPort} 127.0.0.1`, 'allow_anonymous false',
    `listener ${authPort} 127.0.0.1`, 'allow_anonymous false', `password_file ${passwords}`,
    `listener 0 ${socketPath}`, 'allow_anonymous true',
    '',
  ].join('\n'));
  const child = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d) => (log += d));
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`exited with ${code}`))));
  exited.catch(() => undefined);
  try {
    await Promise.race([Promise.all([port, wsPort, wssPort, tlsPort, denyPort, authPort].map((p) => waitForPort(p))), exited]);
  } catch (err) {
    await stopProcess(child);
    throw new Error(`mosquitto did not start: ${String(err)}\n${log}`, { cause: err });
  }
  return {
    port, wsPort, wssPort, tlsPort, denyPort, authPort, socketPath, certs,
    stop: async () => {
      await stopProcess(child);
      rmSync(certs.dir, { recursive: true, force: true });
    },
  };
}

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Collects a child's output; `done` resolves when it exits (killed after timeoutMs). */
export function watch(child: ChildProcess, timeoutMs = 90_000): { done: Promise<Finished>; waitFor(stream: 'stdout' | 'stderr', re: RegExp): Promise<void> } {
  const out = { stdout: '', stderr: '' };
  const waiters: { stream: 'stdout' | 'stderr'; re: RegExp; resolve: () => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      if (w.re.test(out[w.stream])) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout!.on('data', (d) => { out.stdout += d; check(); });
  child.stderr!.on('data', (d) => { out.stderr += d; check(); });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<Finished>((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      for (const w of waiters) w.resolve(); // let a waiter fail on its own assertion instead of hanging
      resolve({ code, ...out });
    });
  });
  return {
    done,
    waitFor: (stream, re) => new Promise<void>((resolve) => {
      waiters.push({ stream, re, resolve });
      check();
    }),
  };
}

/** Runs a mosquitto client (mosquitto_pub / mosquitto_sub / mosquitto_rr) to completion. */
export function runMosquittoClient(bin: string, args: string[], input?: string): Promise<Finished> {
  const child = spawn(`/usr/bin/${bin}`, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  const w = watch(child);
  if (input !== undefined) {
    child.stdin!.on('error', () => undefined); // the client may exit before reading everything
    child.stdin!.end(input);
  }
  return w.done;
}

/** Starts mosquitto_sub with -d and resolves once its SUBACK arrived, so publishes after that are not missed. */
export async function startMosquittoSub(args: string[]): Promise<{ child: ChildProcess; done: Promise<Finished> }> {
  // stdbuf: mosquitto_sub's stdout is block-buffered on a pipe, which would hide the SUBACK line
  const child = spawn('/usr/bin/stdbuf', ['-oL', '/usr/bin/mosquitto_sub', '-d', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const w = watch(child);
  await w.waitFor('stdout', /received SUBACK/);
  return { child, done: w.done };
}

/** Lines mosquitto_sub printed with -F 'MSG ...', without its -d debug lines. */
export function messageLines(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l.startsWith('MSG ')).map((l) => l.slice(4));
}
