// Unix domain socket listener. A socket file left behind by a crashed broker is removed; one that still
// answers is someone else's and is left alone.
import { connect } from 'node:net';
import { lstatSync, unlinkSync } from 'node:fs';
import { frontListener, SocketFront, type CommonListenerOptions } from './front.js';
import { socketLink } from './tcp.js';
import type { Listener, TransportLink } from './types.js';

export interface UnixListenerOptions extends Omit<CommonListenerOptions, 'host' | 'port'> {
  path: string;
}

function isLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect({ path }, () => {
      probe.destroy();
      resolve(true);
    });
    probe.on('error', () => resolve(false));
  });
}

async function removeStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return; // nothing there
  }
  if (!isSocket) throw new Error(`unix listener: ${path} exists and is not a socket; not removing it`);
  if (await isLive(path)) throw new Error(`unix listener: ${path} is in use by another process`);
  unlinkSync(path);
}

export function createUnixListener(opts: UnixListenerOptions): Listener {
  let onLink: ((link: TransportLink) => void) | null = null;
  const front = new SocketFront({ ...opts, kind: 'unix' }, (socket, accepted) => onLink?.(socketLink(socket, accepted)));
  // net.Server unlinks the socket file it created on close
  return frontListener(front, 'unix', (handler) => (onLink = handler), { beforeListen: () => removeStaleSocket(opts.path) });
}
