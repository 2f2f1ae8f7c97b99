// Test certificates made with openssl in a temp dir: a CA, a server cert for 127.0.0.1/localhost, a client
// cert (CN alice), and a second CA with its own client (CN mallory) that our server must refuse.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCerts {
  dir: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  clientCert: string;
  clientKey: string;
  otherCaFile: string;
  otherClientCert: string;
  otherClientKey: string;
  cleanup(): void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

function makeCa(dir: string, name: string, cn: string): void {
  openssl(['req', '-x509', ...EC, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/O=glassmq test/CN=${cn}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
}

function makeLeaf(dir: string, name: string, ca: string, subj: string, ext: string): void {
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(['req', '-new', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj], dir);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial',
    '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`], dir);
}

export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'glassmq-certs-'));
  makeCa(dir, 'ca', 'glassmq test CA');
  makeCa(dir, 'ca2', 'some other CA');
  makeLeaf(dir, 'server', 'ca', '/O=glassmq test/CN=localhost',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n');
  makeLeaf(dir, 'client', 'ca', '/O=glassmq test/CN=alice', 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n');
  makeLeaf(dir, 'client2', 'ca2', '/O=elsewhere/CN=mallory', 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n');
  const f = (n: string): string => join(dir, n);
  return {
    dir,
    caFile: f('ca.pem'),
    certFile: f('server.pem'),
    keyFile: f('server.key'),
    clientCert: f('client.pem'),
    clientKey: f('client.key'),
    otherCaFile: f('ca2.pem'),
    otherClientCert: f('client2.pem'),
    otherClientKey: f('client2.key'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Issues a new server certificate from the same CA (subject CN `cn`) and returns its cert/key paths. */
export function issueServerCert(certs: TestCerts, cn: string): { certFile: string; keyFile: string } {
  const name = `server-${cn}`;
  makeLeaf(certs.dir, name, 'ca', `/O=glassmq test/CN=${cn}`,
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n');
  return { certFile: join(certs.dir, `${name}.pem`), keyFile: join(certs.dir, `${name}.key`) };
}
