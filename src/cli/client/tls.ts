// TLS options (--cafile --capath --cert --key --insecure --tls-version --tls-alpn --tls-keylog) -> node:tls options.
import { readFileSync, readdirSync, appendFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { ConnectionOptions, SecureVersion, TLSSocket } from 'node:tls';
import { CliError } from './errors.js';

export interface TlsSettings {
  cafile?: string;
  capath?: string;
  cert?: string;
  key?: string;
  /** Skip the host name check only; the chain is still verified (as mosquitto's --insecure). */
  insecure: boolean;
  version?: SecureVersion;
  alpn?: string;
  keylog?: string;
}

const TLS_VERSIONS: Readonly<Record<string, SecureVersion>> = {
  'tlsv1.3': 'TLSv1.3',
  'tlsv1.2': 'TLSv1.2',
  'tlsv1.1': 'TLSv1.1',
};

export function parseTlsVersion(text: string): SecureVersion {
  const v = TLS_VERSIONS[text.toLowerCase()];
  if (!v) throw new CliError('BAD_VALUE', `Error: Invalid --tls-version '${text}' (use tlsv1.3, tlsv1.2 or tlsv1.1).`);
  return v;
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch {
    throw new CliError('FILE_UNREADABLE', `Error: Unable to load ${what} "${path}".`);
  }
}

/** Certificates in a --capath directory: files ending in .crt or .pem (mosquitto wants hashed links; any name works here). */
function readCaDir(dir: string): Buffer[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    throw new CliError('FILE_UNREADABLE', `Error: Unable to open CA directory "${dir}".`);
  }
  return names.filter((n) => /\.(crt|pem)$/i.test(n) || /^[0-9a-f]{8}\.\d+$/i.test(n)).sort().map((n) => readPem(join(dir, n), 'CA file'));
}

/** Builds node:tls options; reads every file now so a missing one is one clear error before any connection. */
export function tlsConnectionOptions(s: TlsSettings, host: string): ConnectionOptions {
  const opts: ConnectionOptions = { rejectUnauthorized: true };
  const ca = [...(s.cafile ? [readPem(s.cafile, 'CA file')] : []), ...(s.capath ? readCaDir(s.capath) : [])];
  if (ca.length) opts.ca = ca;
  if (s.cert) opts.cert = readPem(s.cert, 'certificate file');
  if (s.key) opts.key = readPem(s.key, 'key file');
  if (s.insecure) opts.checkServerIdentity = () => undefined;
  if (s.version) {
    opts.minVersion = s.version;
    opts.maxVersion = s.version;
  }
  if (s.alpn) opts.ALPNProtocols = [s.alpn];
  if (isIP(host) === 0) opts.servername = host; // SNI never carries an IP address (RFC 6066 section 3)
  return opts;
}

/** Appends NSS key log lines so Wireshark / tshark can decrypt the session (--tls-keylog). */
export function attachKeylog(socket: TLSSocket, file: string | undefined): void {
  if (!file) return;
  socket.on('keylog', (line: Buffer) => appendFileSync(file, line));
}
