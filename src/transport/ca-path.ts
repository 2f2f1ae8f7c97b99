// [security] mosquitto's `capath DIR`: every CA certificate in a directory, as OpenSSL's -CApath finds them
// (files ending .pem / .crt, and the `c_rehash` links HASH.N). Node takes one list of CA certificates, so the
// directory is read into it; re-read with the certificates on SIGHUP.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** CA file names OpenSSL's c_rehash makes (8 hex digits, `.`, a counter) or a PEM file would carry. */
const CA_NAME = /^(?:[0-9a-f]{8}\.\d+|.+\.(?:pem|crt))$/i;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every PEM certificate in the directory's CA files, each once (hash links point at files read already). */
export function readCaPath(dir: string): string[] {
  const seen = new Set<string>();
  for (const name of readdirSync(dir).sort()) {
    if (!CA_NAME.test(name)) continue;
    const path = join(dir, name);
    if (!statSync(path).isFile()) continue; // follows links; a dangling one throws (ENOENT), as a missing cafile
    for (const pem of readFileSync(path, 'latin1').match(PEM_CERTIFICATE) ?? []) seen.add(pem);
  }
  if (seen.size === 0) throw new Error(`capath ${dir}: no CA certificate (*.pem, *.crt or HASH.0 files)`);
  return [...seen];
}
