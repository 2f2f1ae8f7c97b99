// Client-certificate user names (use_identity_as_username / use_subject_as_username), with OpenSSL and
// Debian's mosquitto as the reference: the subject string must be byte-for-byte what mosquitto uses, which
// the test proves by putting glassmq's string in a mosquitto ACL `user` line and seeing messages flow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, connect, type TLSSocket } from 'node:tls';
import mqtt from 'mqtt';
import { certificateUsername } from '../../src/auth/cert-identity.js';
import { freePort, waitForPort } from '../helpers/net.js';
import { startMosquitto, tempDir } from './mosquitto-peer.js';

function openssl(args: string[], cwd: string): string {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** EC keys: a fraction of RSA's generation time on a shared 2-core machine. */
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];

interface Pki {
  dir: string;
  file: (name: string) => string;
}

/** A CA, a server certificate for 127.0.0.1, client certificates signed by it and one by a rogue CA. */
function makePki(dir: string): Pki {
  const days = ['-days', '2'];
  const ca = (name: string) => openssl(['req', '-x509', ...EC_KEY, '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, ...days, '-subj', `/CN=${name}`], dir);
  const signed = (name: string, subject: string, by: string, extra: string[] = []) => {
    openssl(['req', '-new', ...EC_KEY, '-nodes', '-utf8', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject, ...extra], dir);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${by}.crt`, '-CAkey', `${by}.key`, '-CAcreateserial', '-out', `${name}.crt`, ...days, '-copy_extensions', 'copy'], dir);
  };
  ca('ca');
  ca('rogue');
  signed('server', '/CN=localhost', 'ca', ['-addext', 'subjectAltName=IP:127.0.0.1']);
  signed('client', '/C=DE/ST=Bayern/O=Acme, Inc./OU=R\\+D/OU=é ü/CN=dev ;1/emailAddress=dev@example.com', 'ca');
  signed('other', '/O=Other/CN=other-device', 'ca');
  signed('intruder', '/CN=dev ;1', 'rogue');
  return { dir, file: (name) => join(dir, name) };
}

const der = (pki: Pki, name: string): Buffer => new X509Certificate(readFileSync(pki.file(`${name}.crt`))).raw;

test('use_subject_as_username: the RFC 2253 subject equals `openssl x509 -nameopt RFC2253` (order, escapes, UTF-8 as \\XX)', (t) => {
  const pki = makePki(tempDir(t));
  for (const name of ['client', 'other', 'server']) {
    const expected = openssl(['x509', '-in', `${name}.crt`, '-noout', '-subject', '-nameopt', 'RFC2253'], pki.dir).trim().replace(/^subject=/, '');
    assert.deepEqual(certificateUsername({ raw: der(pki, name) }, 'subject'), { ok: true, username: expected });
  }
  assert.deepEqual(certificateUsername({ raw: der(pki, 'client') }, 'identity'), { ok: true, username: 'dev ;1' });
});

test('certificate accepted / missing / wrong CA over a real TLS handshake (node getPeerCertificate shape)', async (t) => {
  const pki = makePki(tempDir(t));
  const port = await freePort();
  const seen: Array<{ authorized: boolean; identity: ReturnType<typeof certificateUsername> }> = [];
  const server = createServer(
    { key: readFileSync(pki.file('server.key')), cert: readFileSync(pki.file('server.crt')), ca: readFileSync(pki.file('ca.crt')), requestCert: true, rejectUnauthorized: false },
    (socket: TLSSocket) => {
      seen.push({ authorized: socket.authorized, identity: certificateUsername(socket.getPeerCertificate(), 'identity') });
      socket.end();
    },
  );
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  await waitForPort(port);
  const handshake = (name?: string) =>
    new Promise<void>((resolve, reject) => {
      const s = connect({
        port, host: '127.0.0.1', ca: readFileSync(pki.file('ca.crt')),
        ...(name ? { key: readFileSync(pki.file(`${name}.key`)), cert: readFileSync(pki.file(`${name}.crt`)) } : {}),
      });
      s.on('error', reject);
      s.on('close', () => resolve());
      s.resume();
    });
  await handshake('client');
  await handshake();
  await handshake('intruder');
  assert.deepEqual(seen, [
    { authorized: true, identity: { ok: true, username: 'dev ;1' } },
    { authorized: false, identity: { ok: false, code: 'NO_CERTIFICATE' } },
    { authorized: false, identity: { ok: true, username: 'dev ;1' } }, // same CN, but the transport must refuse it: not authorized
  ]);
});

test('mosquitto uses exactly these user names: ACL `user` lines written from glassmq strings let messages through', async (t) => {
  const pki = makePki(tempDir(t));
  const subjectPort = await freePort();
  const subject = certificateUsername({ raw: der(pki, 'client') }, 'subject');
  const identity = certificateUsername({ raw: der(pki, 'client') }, 'identity');
  assert.ok(subject.ok && identity.ok);
  writeFileSync(pki.file('acl'), `user ${subject.username}\ntopic readwrite s/#\nuser ${identity.username}\ntopic readwrite i/#\n`);
  const tls = [`cafile ${pki.file('ca.crt')}`, `certfile ${pki.file('server.crt')}`, `keyfile ${pki.file('server.key')}`, 'require_certificate true'];
  const identityPort = await startMosquitto(t, pki.dir, [
    ...tls, 'use_identity_as_username true',
    `listener ${subjectPort} 127.0.0.1`, ...tls, 'use_subject_as_username true',
    `acl_file ${pki.file('acl')}`, 'allow_anonymous false',
  ]);
  await waitForPort(subjectPort);

  const roundTrip = async (port: number, cert: string, topic: string): Promise<boolean> => {
    const opts = { ca: readFileSync(pki.file('ca.crt')), key: readFileSync(pki.file(`${cert}.key`)), cert: readFileSync(pki.file(`${cert}.crt`)), reconnectPeriod: 0, protocolVersion: 4 as const };
    const sub = await mqtt.connectAsync(`mqtts://127.0.0.1:${port}`, { ...opts, clientId: `sub-${cert}-${port}` });
    const pub = await mqtt.connectAsync(`mqtts://127.0.0.1:${port}`, { ...opts, clientId: `pub-${cert}-${port}` });
    try {
      let got = false;
      sub.on('message', (tp) => (got ||= tp === topic));
      await sub.subscribeAsync(topic, { qos: 0 });
      await pub.publishAsync(topic, 'x', { qos: 1 });
      await sub.subscribeAsync('sync/never', { qos: 0 }); // round trip: anything routed to sub arrived before its SUBACK
      return got;
    } finally {
      await Promise.all([sub.endAsync(true), pub.endAsync(true)]);
    }
  };
  assert.equal(await roundTrip(subjectPort, 'client', 's/1'), true, 'subject user name matches the ACL user line');
  assert.equal(await roundTrip(identityPort, 'client', 'i/1'), true, 'CN user name matches the ACL user line');
  assert.equal(await roundTrip(subjectPort, 'other', 's/1'), false, 'control: another subject gets nothing');
  assert.equal(await roundTrip(identityPort, 'client', 's/1'), false, 'control: the CN is not the subject');
});
