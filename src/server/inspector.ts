// [trace] The live inspector's wiring: one trace hub every link is registered with, the --trace printer, the
// --capture file, and what TLS listeners need so the capture holds their ciphertext and session keys.
import { devNull } from 'node:os';
import type { Logger as PinoLogger } from 'pino';
import type { Broker } from '../broker/broker.js';
import type { Config } from '../config/config.js';
import { LiveCapture, printTrace, TraceHub, type TraceLinkInfo } from '../inspect/live/index.js';
import { KeyLog, type TransportLink } from '../transport/index.js';
import type { RunningBroker } from './create-broker.js';
import { TlsHandshakeRecorder } from './tls-handshake-recorder.js';

const CLOSE_WAIT_MS = 1000;

export interface Inspector {
  readonly hub: TraceHub;
  readonly capture: LiveCapture | undefined;
  /** Registers every link with the hub, then hands it on. */
  onLink(next: (link: TransportLink) => void): (link: TransportLink) => void;
  /** Options for tls / wss listeners: with --capture, tap the ciphertext and copy the key log into the file. */
  tlsOptions(userKeylog?: KeyLog | string): { tapWire?: boolean; keylog?: KeyLog | string };
  close(): void;
}

/** A KeyLog that also hands each line to the capture (and writes the user's --tls-keylog file, if any). */
class CaptureKeyLog extends KeyLog {
  constructor(
    private readonly user: KeyLog | undefined,
    private readonly capture: LiveCapture,
  ) {
    super(devNull);
  }

  override write(line: Buffer): void {
    this.capture.keylog(line);
    this.user?.write(line);
  }
}

function sameConnection(a: TraceLinkInfo, b: TraceLinkInfo): boolean {
  return a.listener === b.listener && a.remoteAddress === b.remoteAddress && a.remotePort === b.remotePort;
}

export function createInspector(config: Config, broker: Broker, logger: PinoLogger, out: NodeJS.WritableStream = process.stdout): Inspector {
  const hub = new TraceHub({
    // A trace started after a client's CONNECT still names it and decodes its version.
    lookup: (info) => broker.clients().find((c) => sameConnection(c.link, info)),
  });
  const stopPrinting = config.trace ? printTrace(hub, out, { secrets: config.showSecrets }) : undefined;
  const recorder = config.capture ? new TlsHandshakeRecorder() : undefined;
  let capture: LiveCapture | undefined;
  if (config.capture) {
    capture = new LiveCapture(config.capture, {
      maxMb: config.captureMaxMb,
      earlyBytes: (info) => recorder?.take(info),
      warn: (message) => logger.warn(message),
    });
    capture.attach(hub);
    logger.info(`capture: writing ${config.capture}${config.captureMaxMb ? ` (new file every ${config.captureMaxMb} MB)` : ''}`);
  }
  const userKeylogs: KeyLog[] = [];
  const keylogs: KeyLog[] = [];
  return {
    hub,
    capture,
    onLink: (next) => (link) => {
      hub.register(link);
      next(link);
    },
    tlsOptions(userKeylog) {
      if (!capture) return userKeylog ? { keylog: userKeylog } : {};
      recorder?.install();
      const user = typeof userKeylog === 'string' ? new KeyLog(userKeylog, logger) : userKeylog;
      if (user) userKeylogs.push(user);
      const tee = new CaptureKeyLog(user, capture);
      keylogs.push(tee);
      return { tapWire: true, keylog: tee };
    },
    close() {
      stopPrinting?.();
      capture?.end();
      recorder?.uninstall();
      for (const k of [...keylogs, ...userKeylogs]) void k.close();
    },
  };
}

/** The running broker with the capture file closed (its connections FIN'd) after everything else. */
export function withInspector<R extends RunningBroker>(running: R, inspector: Inspector): R {
  let closing: Promise<void> | undefined;
  // Sockets report 'close' a tick after the listeners let go: wait (bounded) so --trace prints their summaries
  // and the capture writes their FINs.
  const finish = (): Promise<void> => inspector.hub.whenIdle(CLOSE_WAIT_MS).then(() => inspector.close());
  return { ...running, close: () => (closing ??= running.close().then(finish, (err: unknown) => finish().then(() => Promise.reject(err)))) };
}
