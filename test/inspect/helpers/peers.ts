// Real peers for inspector tests: a throwaway certificate, a recording TCP relay, dumpcap, mosquitto, tshark.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createServer, connect, type Server } from 'node:net';
import { join } from 'node:path';
import { writeFileSync, readFileSync } from 'node:fs';
import { createServer as createTlsServer, connect as tlsConnect, type TLSSocket } from 'node:tls';
import assert from 'node:assert/strict';

/** A self-signed certificate for CN=localhost, made with openssl in `dir`. */
export function makeCert(dir: string): { key: string; cert: string; keyPath: string; certPath: string } {
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-subj', '/CN=localhost', '-days', '2', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  return { key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8'), keyPath, certPath };
}

export interface Recorded {
  fromClient: boolean;
  data: Buffer;
}

/** A TCP relay on 127.0.0.1 that forwards to `target` and records every chunk in the order it passed. */
export async function recordingRelay(targetPort: number): Promise<{ port: number; chunks: Recorded[]; close(): Promise<void> }> {
  const chunks: Recorded[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server: Server = createServer((down) => {
    const up = connect(targetPort, '127.0.0.1');
    sockets.add(down);
    sockets.add(up);
    down.on('data', (d) => {
      chunks.push({ fromClient: true, data: Buffer.from(d) });
      up.write(d);
    });
    up.on('data', (d) => {
      chunks.push({ fromClient: false, data: Buffer.from(d) });
      down.write(d);
    });
    down.on('end', () => up.end());
    up.on('end', () => down.end());
    down.on('error', () => up.destroy());
    up.on('error', () => down.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    chunks,
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

/** Waits (bounded) until `pred` holds. */
export async function until(pred: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * dumpcap on the loopback with a capture filter. Resolves once packets to `probePort` (which the filter must
 * match) are seen being captured, so no traffic of the test is missed; stop() likewise probes before SIGINT so
 * every packet sent before it is in the file.
 */
export async function startDumpcap(file: string, filter: string, probePort: number): Promise<{ stop(): Promise<void>; proc: ChildProcess }> {
  const proc = spawn('dumpcap', ['-i', 'lo', '-f', filter, '-w', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  let exited = false;
  proc.on('exit', () => (exited = true));
  const captured = (): number => {
    const counts = [...err.matchAll(/Packets: (\d+)/g)];
    return counts.length ? Number(counts[counts.length - 1]![1]) : 0;
  };
  /** Opens and closes a connection to probePort until dumpcap's packet count moves past `before`. */
  const sync = async (before: number): Promise<void> => {
    const end = Date.now() + 15_000;
    while (captured() <= before && !exited) {
      if (Date.now() > end) throw new Error(`dumpcap captured nothing on port ${probePort}: ${err}`);
      await new Promise<void>((r) => {
        const s = connect(probePort, '127.0.0.1', () => s.end());
        s.on('close', () => r());
        s.on('error', () => r());
      });
      await until(() => captured() > before || exited, 1500, 'dumpcap').catch(() => {});
    }
  };
  try {
    await until(() => /Capturing on/.test(err) || exited, 15_000, 'dumpcap to start capturing');
    if (exited) throw new Error(`dumpcap failed: ${err}`);
    await sync(0);
  } catch (e) {
    proc.kill('SIGKILL');
    throw e;
  }
  return {
    proc,
    stop: async () => {
      if (exited) return;
      await sync(captured()).catch(() => {});
      proc.kill('SIGINT');
      await until(() => exited, 10_000, 'dumpcap to exit');
    },
  };
}

/** mosquitto with the given config lines (listeners...), in `dir`; resolves when it listens on `waitPort`. */
export async function startMosquitto(dir: string, lines: string[], waitPort: number): Promise<{ stop(): Promise<void>; log(): string }> {
  const conf = join(dir, `mosquitto-${waitPort}.conf`);
  writeFileSync(conf, [...lines, 'allow_anonymous true', 'log_dest stderr', ''].join('\n'));
  const proc = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr!.on('data', (d) => (log += d));
  let exited = false;
  proc.on('exit', () => (exited = true));
  const { waitForPort } = await import('../../helpers/net.js');
  await waitForPort(waitPort);
  return {
    log: () => log,
    stop: async () => {
      if (exited) return;
      proc.kill('SIGTERM');
      await until(() => exited, 10_000, 'mosquitto to exit');
    },
  };
}

/** Runs a command to completion (bounded), returning its stdout. */
export function run(cmd: string, args: string[], timeoutMs = 20_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (d) => (stdout += d));
    p.stderr!.on('data', (d) => (stderr += d));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The MQTT layers tshark found, one entry per MQTT packet, in frame order. */
export async function tsharkMqtt(file: string, extraArgs: string[] = []): Promise<{ frame: number; mqtt: Record<string, any> }[]> {
  const r = await run('tshark', ['-r', file, '-Y', 'mqtt', '-T', 'json', '--no-duplicate-keys', ...extraArgs], 60_000);
  if (r.code !== 0) throw new Error(`tshark failed: ${r.stderr}`);
  const out: { frame: number; mqtt: Record<string, any> }[] = [];
  for (const pkt of JSON.parse(r.stdout || '[]') as any[]) {
    const layers = pkt._source.layers;
    const frame = Number(layers.frame['frame.number']);
    const m = layers.mqtt;
    for (const one of Array.isArray(m) ? m : [m]) out.push({ frame, mqtt: one });
  }
  return out;
}

/**
 * One real TLS session (node:tls server and client) through a recording relay: the client writes `fromClient`,
 * the server answers `fromServer` and closes. Returns the recorded ciphertext chunks and the server's key log.
 */
export async function recordTlsSession(
  cert: { key: string; cert: string },
  opts: { version: 'TLSv1.2' | 'TLSv1.3'; cipher: string; fromClient: Buffer; fromServer: Buffer },
): Promise<{ chunks: Recorded[]; keylog: string; negotiated: string }> {
  let keylog = '';
  const got: Buffer[] = [];
  const server = createTlsServer({ key: cert.key, cert: cert.cert, minVersion: opts.version, maxVersion: opts.version, ciphers: opts.cipher }, (s) => {
    s.on('data', (d) => {
      got.push(d);
      if (Buffer.concat(got).length === opts.fromClient.length) s.end(opts.fromServer);
    });
  });
  server.on('keylog', (line) => (keylog += line.toString()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const relay = await recordingRelay((server.address() as { port: number }).port);
  let client: TLSSocket | undefined;
  try {
    const received: Buffer[] = [];
    let ended = false;
    client = tlsConnect({ port: relay.port, host: '127.0.0.1', ca: cert.cert, servername: 'localhost', minVersion: opts.version, maxVersion: opts.version, ciphers: opts.cipher });
    client.on('data', (d) => received.push(d));
    client.on('end', () => (ended = true));
    await new Promise<void>((r, j) => client!.once('secureConnect', r).once('error', j));
    const negotiated = client.getCipher().standardName;
    client.write(opts.fromClient);
    await until(() => ended, 10_000, 'the TLS session to finish');
    assert.deepEqual(Buffer.concat(received), opts.fromServer);
    client.end();
    return { chunks: relay.chunks, keylog, negotiated };
  } finally {
    client?.destroy();
    await relay.close();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

/** A TLS front end on 127.0.0.1 (node:tls, logging its key material to `keylogPath`) that relays the plaintext to `targetPort`. */
export async function tlsTerminator(cert: { key: string; cert: string }, targetPort: number, keylogPath: string, opts: { maxVersion?: 'TLSv1.2' | 'TLSv1.3' } = {}): Promise<{ port: number; close(): Promise<void> }> {
  const { appendFileSync } = await import('node:fs');
  const sockets = new Set<import('node:net').Socket>();
  const server = createTlsServer({ key: cert.key, cert: cert.cert, maxVersion: opts.maxVersion }, (down) => {
    const up = connect(targetPort, '127.0.0.1');
    sockets.add(down);
    sockets.add(up);
    down.pipe(up).pipe(down);
    down.on('error', () => up.destroy());
    up.on('error', () => down.destroy());
    down.on('close', () => up.destroy());
    up.on('close', () => down.destroy());
  });
  server.on('keylog', (line) => appendFileSync(keylogPath, line));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}
