// [trace] The live inspector's wiring: one trace hub every link is registered with, the --trace printer, the
// --capture file, and what TLS listeners need so the capture holds their ciphertext and session keys.
import type { Logger as PinoLogger } from 'pino';
import type { Broker } from '../broker/broker.js';
import type { Config } from '../config/config.js';
import { LiveCapture, printTrace, TraceHub, type TraceLinkInfo } from '../inspect/live/index.js';
import type { KeyLog, TlsFileOptions, TransportLink } from '../transport/index.js';
import type { RunningBroker } from './create-broker.js';

const CLOSE_WAIT_MS = 1000;

export type InspectorTlsOptions = Pick<TlsFileOptions, 'tapWire' | 'keylog' | 'onKeylog'>;

export interface Inspector {
  readonly hub: TraceHub;
  readonly capture: LiveCapture | undefined;
  /** Registers every link with the hub, then hands it on. */
  onLink(next: (link: TransportLink) => void): (link: TransportLink) => void;
  /**
   * Options for tls / wss listeners: the user's key-log file as is and, with --capture, the wire tap (which replays
   * each connection's handshake) and the key-log lines, both into the capture file.
   */
  tlsOptions(userKeylog?: KeyLog | string): InspectorTlsOptions;
  close(): void;
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
  let capture: LiveCapture | undefined;
  if (config.capture) {
    capture = new LiveCapture(config.capture, { maxMb: config.captureMaxMb, warn: (message) => logger.warn(message) });
    capture.attach(hub);
    logger.info(`capture: writing ${config.capture}${config.captureMaxMb ? ` (new file every ${config.captureMaxMb} MB)` : ''}`);
  }
  // A handshake's key-log lines come before its link exists, so they reach the file before its packets.
  const toCapture = capture && ((line: Buffer): void => capture?.keylog(line));
  return {
    hub,
    capture,
    onLink: (next) => (link) => {
      hub.register(link);
      next(link);
    },
    tlsOptions: (userKeylog) => ({
      ...(userKeylog ? { keylog: userKeylog } : {}),
      ...(toCapture ? { tapWire: true, onKeylog: toCapture } : {}),
    }),
    close() {
      stopPrinting?.();
      capture?.end();
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
