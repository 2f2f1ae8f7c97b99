// AclFile beyond what the mosquitto matrix can show: SUBSCRIBE decisions (mosquitto 2.0 grants every
// SUBSCRIBE; glassmq refuses in the SUBACK what could never be delivered: 3.1.1 0x80, 5.0 0x87
// [MQTT-3.9.3-2]) and file errors with FILE:LINE and a stable code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AclFile, type AclContext } from '../../src/auth/acl-file.js';
import { AuthFileError } from '../../src/auth/errors.js';
import { tempDir } from './mosquitto-peer.js';

const ACL = AclFile.fromText(`topic read public/#
topic deny public/secret
user alice
topic readwrite a/#
topic deny a/private/#
topic read $SYS/#
topic write nowrite/read
user bob
topic read b/out
pattern readwrite dev/%c/#
pattern deny dev/%c/locked
pattern read users/%u/inbox
`);

const anon: AclContext = { clientId: 'anon1' };
const alice: AclContext = { clientId: 'alice-dev', username: 'alice' };
const eve: AclContext = { clientId: 'eve', username: 'eve' };
const bobWild: AclContext = { clientId: 'bob#1', username: 'bob' };

test('[MQTT-3.9.3-2] SUBSCRIBE: refused only when no topic the filter matches could ever be delivered', () => {
  const cases: Array<[AclContext, string, boolean]> = [
    [anon, 'public/#', true],
    [anon, 'public/secret', false], // deny covers it entirely
    [anon, '#', true], // public/... can arrive; the rest is filtered at delivery
    [anon, 'a/#', false],
    [anon, '$SYS/#', false],
    [anon, 'dev/anon1/#', true], // pattern %c
    [anon, 'dev/+/t', true], // intersects dev/anon1/#
    [anon, 'dev/anon1/locked', false], // pattern deny
    [anon, 'users/+/inbox', false], // %u patterns never apply to anonymous clients
    [alice, 'a/private/#', false],
    [alice, 'a/+/y', true], // only partly denied
    [alice, '$SYS/#', true],
    [alice, '#', true],
    [alice, 'nowrite/read', false], // write-only
    [eve, 'users/eve/inbox', true],
    [eve, 'users/+/inbox', true],
    [eve, 'users/alice/inbox', false],
    [bobWild, 'b/out', true], // own lines still apply
    [bobWild, 'users/bob/inbox', false], // patterns are off for a client id with a wildcard
    [anon, '$share/g/public/#', true], // a shared subscription is judged on its filter
    [anon, '$share/g/a/x', false],
    [anon, '$share/g', false],
    [anon, 'a/#/b', false], // not a filter at all
  ];
  for (const [ctx, filter, expected] of cases) {
    assert.equal(ACL.canSubscribe(ctx, filter), expected, `${ctx.username ?? 'anonymous'} SUBSCRIBE ${filter}`);
  }
});

test('SUBSCRIBE to a concrete topic is allowed exactly when delivering that topic is', () => {
  const topics = ['public/x', 'public/secret', 'a/b', 'a/private/c', 'dev/eve/t', 'dev/eve/locked', 'users/eve/inbox', '$SYS/x', 'nowrite/read', 'b/out'];
  for (const ctx of [anon, alice, eve, bobWild]) {
    for (const topic of topics) assert.equal(ACL.canSubscribe(ctx, topic), ACL.canRead(ctx, topic), `${ctx.clientId} ${topic}`);
  }
});

test('PUBLISH to $SYS (but bridge state) and to $share/... is refused whatever the ACL says, as in mosquitto', () => {
  const all = AclFile.fromText('topic readwrite #\ntopic readwrite $SYS/#\ntopic readwrite $share/#\n');
  assert.equal(all.canPublish(anon, '$SYS/broker/uptime'), false);
  assert.equal(all.canPublish(anon, '$SYS/broker/connection/br1/state'), true);
  assert.equal(all.canPublish(anon, '$share/g/x'), false);
  assert.equal(all.canPublish(anon, 'x'), true);
});

test('mosquitto parsing quirks kept: a lone word after topic is the topic; user lines merge; comments only at column 1', () => {
  const acl = AclFile.fromText('topic read\nuser u\ntopic a\nuser u\ntopic write b\n');
  assert.equal(acl.canRead(anon, 'read'), true, "'topic read' is topic 'read' with readwrite access");
  assert.equal(acl.canPublish(anon, 'read'), true);
  const u = { clientId: 'c', username: 'u' };
  assert.equal(acl.canPublish(u, 'a'), true);
  assert.equal(acl.canPublish(u, 'b'), true, 'a second user block for the same name adds to the first');
  assert.equal(acl.canRead(u, 'b'), false);
  assert.deepEqual(acl.summary(), { anonymousRules: 1, users: 1, userRules: 2, patterns: 0 });
});

function loadError(text: string, t: { after(fn: () => void): void }): AuthFileError {
  const file = join(tempDir(t), 'acl');
  writeFileSync(file, text);
  try {
    AclFile.load(file);
  } catch (err) {
    assert.ok(err instanceof AuthFileError);
    assert.ok(err.message.startsWith(`${file}:${err.line}: `), err.message);
    return err;
  }
  assert.fail('expected the ACL file to be refused');
}

test('bad ACL files: FILE:LINE and a stable code', (t) => {
  const cases: Array<[string, string, number]> = [
    ['topic read a\nsubscribe b\n', 'ACL_LINE_INVALID', 2],
    ['# c\n\ntopic readonly a/b\n', 'ACL_ACCESS_INVALID', 3],
    ['topic read a/#/b\n', 'ACL_TOPIC_INVALID', 1],
    ['pattern write dev/%c+\n', 'ACL_TOPIC_INVALID', 1],
    ['topic\n', 'ACL_TOPIC_INVALID', 1],
    ['user alice\nuser   \n', 'ACL_USER_MISSING', 2],
    ['   # indented comment is not a comment in mosquitto\n', 'ACL_LINE_INVALID', 1],
  ];
  for (const [text, code, line] of cases) {
    const err = loadError(text, t);
    assert.equal(err.code, code, text);
    assert.equal(err.line, line, text);
  }
  const dir = tempDir(t);
  assert.throws(() => AclFile.load(join(dir, 'missing')), (err: unknown) => err instanceof AuthFileError && err.code === 'FILE_UNREADABLE');
});
