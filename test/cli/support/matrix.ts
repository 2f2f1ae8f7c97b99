// The options matrix of glassmq pub / sub / rr, run unchanged against any broker (glassmq's and mosquitto).
// Observers and publishers on the other side are mosquitto's own clients or MQTT.js, so each check is interop.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { runGlassmq, spawnGlassmq } from '../../helpers/net.js';
import { messageLines, runMosquittoClient, startMosquittoSub, watch, type Finished } from './peers.js';

export interface BrokerUnderTest {
  name: string;
  port(): number;
}

/** Generous: the machine is shared, and a slow start must not read as a failure. */
export const PROCESS_TIMEOUT_MS = 90_000;

/** `glassmq <args>` to completion, with the generous timeout. */
export function glassmq(args: string[], input?: string): Promise<Finished> {
  return runGlassmq(args, { timeoutMs: PROCESS_TIMEOUT_MS, ...(input !== undefined ? { input } : {}) });
}

let seq = 0;
/** A topic prefix no other test (or earlier run against a persistent broker) uses. */
export function uniqueTopic(label: string): string {
  return `cli/${label}/${process.pid}-${++seq}`;
}

/** Starts `glassmq sub -d ...` and resolves once its SUBACK was printed, so later publishes reach it. */
export async function startGlassmqSub(args: string[]): Promise<{ done: Promise<Finished>; signal(s: NodeJS.Signals): void }> {
  const child = spawnGlassmq(['sub', '-d', ...args]);
  child.stdin!.end();
  const w = watch(child, PROCESS_TIMEOUT_MS);
  await w.waitFor('stderr', /received SUBACK|Error/);
  return { done: w.done, signal: (s) => child.kill(s) };
}

function assertOk(r: Finished, what: string): void {
  assert.equal(r.code, 0, `${what} exited ${r.code}: ${r.stderr}`);
}

/** Each case uses its own topics, so they run side by side (the CLI start-up dominates their time). */
export const CONCURRENCY = 4;

export function defineClientMatrix(b: BrokerUnderTest): void {
  describe(`glassmq clients against ${b.name}`, { concurrency: CONCURRENCY }, () => defineCases(b));
}

function defineCases(b: BrokerUnderTest): void {
  const at = () => ['-h', '127.0.0.1', '-p', String(b.port())];
  const pub = async (...args: string[]) => assertOk(await glassmq(['pub', ...at(), ...args]), `pub ${args.join(' ')}`);
  // mosquitto's own clients play the other side: a real peer, and far cheaper to start than the CLI under test
  const mosqPub = async (...args: string[]) => assertOk(await runMosquittoClient('mosquitto_pub', [...at(), ...args]), `mosquitto_pub ${args.join(' ')}`);
  const mosqSub = (...args: string[]) => startMosquittoSub([...at(), ...args]);

  test(`${b.name}: sub -q 2 receives QoS 0, 1 and 2 at min(publish QoS, granted QoS) [MQTT-3.8.4-8]; pub -q 2 completes the QoS 2 flow [MQTT-4.3.3-2] [MQTT-4.3.3-4]`, async () => {
    const topic = uniqueTopic('qos');
    const sub = await startGlassmqSub([...at(), '-t', topic, '-q', '2', '-C', '3', '-F', '%q %p']);
    await mosqPub('-t', topic, '-q', '0', '-m', 'zero');
    await mosqPub('-t', topic, '-q', '1', '-m', 'one');
    const p = await glassmq(['pub', ...at(), '-t', topic, '-q', '2', '-m', 'two', '-d']);
    assertOk(p, 'pub -q 2');
    assert.deepEqual(p.stderr.split('\n').filter((l) => /^(sent|received)/.test(l)).map((l) => l.split(/\s+/)[1]),
      ['CONNECT', 'CONNACK', 'PUBLISH', 'PUBREC', 'PUBREL', 'PUBCOMP', 'DISCONNECT']);
    const r = await sub.done;
    assertOk(r, 'sub');
    assert.deepEqual(r.stdout.trim().split('\n'), ['0 zero', '1 one', '2 two']);
    assert.match(r.stderr, /sent +PUBREC/, 'the QoS 2 inbound handshake is visible in -d');
  });

  test(`${b.name}: pub -r retains (sub prints %r = 1) [MQTT-3.3.1-5] [MQTT-3.3.1-8]; pub -r -n clears it [MQTT-3.3.1-10]`, async () => {
    const topic = uniqueTopic('retain');
    await pub('-t', topic, '-r', '-q', '1', '-m', 'kept');
    const first = await glassmq(['sub', ...at(), '-t', topic, '-C', '1', '-F', '%r %q %p', '-q', '1']);
    assertOk(first, 'sub');
    assert.equal(first.stdout, '1 1 kept\n');
    await pub('-t', topic, '-r', '-n');
    const second = await runMosquittoClient('mosquitto_sub', [...at(), '-t', topic, '-W', '1']);
    assert.deepEqual([second.code, second.stdout], [27, ''], 'no retained message left');
  });

  test(`${b.name}: pub -l publishes one message per stdin line, in order`, async () => {
    const topic = uniqueTopic('lines');
    const sub = await mosqSub('-t', topic, '-C', '3', '-F', 'MSG %p');
    assertOk(await glassmq(['pub', ...at(), '-t', topic, '-l', '-q', '1'], 'alpha\nbeta\ngamma\n'), 'pub -l');
    assert.deepEqual(messageLines((await sub.done).stdout), ['alpha', 'beta', 'gamma']);
  });

  test(`${b.name}: pub --repeat 3 --repeat-delay 0.5 publishes the same message three times, spaced out`, async () => {
    const topic = uniqueTopic('repeat');
    const sub = await mosqSub('-t', topic, '-C', '3', '-F', 'MSG %U %p');
    await pub('-t', topic, '-m', 'again', '-q', '1', '--repeat', '3', '--repeat-delay', '0.5');
    const lines = messageLines((await sub.done).stdout);
    assert.deepEqual(lines.map((l) => l.split(' ')[1]), ['again', 'again', 'again']);
    const times = lines.map((l) => Number(l.split(' ')[0]));
    // two waits of 0.5 s; the margin absorbs delivery jitter between the first and the last message
    assert.ok(times[2]! - times[0]! >= 0.8, `first to last: ${times[2]! - times[0]!} s`);
  });

  test(`${b.name}: v5 sub --retain-handling never gets no retained message [MQTT-3.3.1-11]; --retain-as-published keeps RETAIN on live messages [MQTT-3.3.1-13]`, async () => {
    const topic = uniqueTopic('rh');
    await mosqPub('-t', topic, '-r', '-m', 'old');
    const sub = await startGlassmqSub([...at(), '-V', '5', '-t', topic, '--retain-handling', 'never', '--retain-as-published', '-C', '1', '-F', '%r %p']);
    await mosqPub('-t', topic, '-r', '-m', 'live');
    const r = await sub.done;
    assertOk(r, 'sub');
    assert.equal(r.stdout, '1 live\n');
    await mosqPub('-t', topic, '-r', '-n');
  });

  test(`${b.name}: pub -f sends a file's bytes unchanged and -s sends all of stdin`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'glassmq-cli-f-'));
    try {
      const bytes = Buffer.from([0x00, 0x01, 0xfe, 0xff, 0x0a, 0x41]);
      const file = join(dir, 'payload.bin');
      writeFileSync(file, bytes);
      const topic = uniqueTopic('file');
      const sub = await mosqSub('-t', topic, '-C', '2', '-F', 'MSG %l %x');
      await pub('-t', topic, '-f', file, '-q', '1');
      assertOk(await glassmq(['pub', ...at(), '-t', topic, '-s', '-q', '1'], 'from\nstdin'), 'pub -s');
      assert.deepEqual(messageLines((await sub.done).stdout), ['6 0001feff0a41', `10 ${Buffer.from('from\nstdin').toString('hex')}`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`${b.name}: v5 -D publish properties reach mosquitto_sub unchanged [MQTT-3.3.2-15] [MQTT-3.3.2-16] [MQTT-3.3.2-17] [MQTT-3.3.2-20] [MQTT-3.3.2-4]`, async () => {
    const topic = uniqueTopic('props');
    const sub = await mosqSub('-V', '5', '-t', topic, '-C', '1', '-F', 'MSG %P|%C|%R|%D|%F|%E|%p');
    await pub('-t', topic, '-m', 'body', '-D', 'publish', 'user-property', 'k', 'v', '-D', 'publish', 'user-property', 'k2', 'v2',
      '-D', 'publish', 'content-type', 'text/plain', '-D', 'publish', 'response-topic', 'r/t',
      '-D', 'publish', 'correlation-data', 'cd-1', '-D', 'publish', 'payload-format-indicator', '1',
      '-D', 'publish', 'message-expiry-interval', '100');
    const r = await sub.done;
    assertOk(r, 'mosquitto_sub');
    assert.match(messageLines(r.stdout)[0] ?? '', /^k:v k2:v2\|text\/plain\|r\/t\|cd-1\|1\|(100|99)\|body$/, r.stdout);
  });

  test(`${b.name}: mosquitto_pub -> glassmq sub: a QoS 2 message with v5 properties printed by -F %P %C %R %D and %j`, async () => {
    const topic = uniqueTopic('reverse');
    const sub = await startGlassmqSub([...at(), '-V', '5', '-q', '2', '-t', topic, '-C', '1', '-F', '%q|%P|%C|%R|%D|%p\\n%j']);
    await mosqPub('-V', '5', '-q', '2', '-t', topic, '-m', 'from mosquitto',
      '-D', 'publish', 'user-property', 'who', 'mosq', '-D', 'publish', 'content-type', 'text/x', '-D', 'publish', 'response-topic', 'back',
      '-D', 'publish', 'correlation-data', 'c9');
    const r = await sub.done;
    const [plain, json] = r.stdout.split('\n');
    assert.equal(plain, '2|who:mosq|text/x|back|c9|from mosquitto');
    const parsed = JSON.parse(json!) as Record<string, unknown>;
    assert.deepEqual([parsed.topic, parsed.qos, parsed.payload], [topic, 2, 'from mosquitto']);
    assert.deepEqual(parsed.properties, { 'user-properties': { who: 'mosq' }, 'content-type': 'text/x', 'response-topic': 'back', 'correlation-data': 'c9' });
  });

  test(`${b.name}: --will-topic: Ctrl-C ends sub with DISCONNECT, so no will [MQTT-3.1.2-10]; a vanished client's will is published [MQTT-3.1.2-8]`, async () => {
    const topic = uniqueTopic('will');
    const observer = await mosqSub('-t', `${topic}/will`, '-q', '1', '-C', '1', '-F', 'MSG %q %p');
    const will = (payload: string) => [...at(), '-t', `${topic}/x`, '--will-topic', `${topic}/will`, '--will-payload', payload, '--will-qos', '1'];
    const polite = await startGlassmqSub(will('interrupted'));
    polite.signal('SIGINT');
    const stopped = await polite.done;
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stderr, /^sent +DISCONNECT/m);
    const doomed = await startGlassmqSub(will('gone'));
    doomed.signal('SIGKILL'); // the socket just closes: no DISCONNECT
    await doomed.done;
    const r = await observer.done;
    assertOk(r, 'mosquitto_sub');
    assert.deepEqual(messageLines(r.stdout), ['1 gone'], 'only the vanished client\'s will');
  });

  test(`${b.name}: rr sends Response Topic + Correlation Data and prints the matching response [MQTT-3.3.2-15] [MQTT-3.3.2-16]`, async () => {
    const topic = uniqueTopic('rr');
    const responder = await mqtt.connectAsync(`mqtt://127.0.0.1:${b.port()}`, { protocolVersion: 5, reconnectPeriod: 0 });
    try {
      responder.on('message', (_t, payload, packet) => {
        const props = packet.properties ?? {};
        if (!props.responseTopic) return;
        responder.publish(props.responseTopic, `pong:${payload.toString()}`, { properties: { correlationData: props.correlationData } });
      });
      await responder.subscribeAsync(`${topic}/req`);
      const r = await glassmq(['rr', ...at(), '-t', `${topic}/req`, '-e', `${topic}/resp`, '-m', 'ping', '-W', '30', '-F', '%t %p %l']);
      assertOk(r, 'rr');
      assert.equal(r.stdout, `${topic}/resp pong:ping 9\n`);
    } finally {
      await responder.endAsync();
    }
  });

  test(`${b.name}: sub -T filters topics out and -R skips stale retained messages`, async () => {
    const topic = uniqueTopic('filter');
    await mosqPub('-t', `${topic}/old`, '-r', '-m', 'stale');
    const sub = await startGlassmqSub([...at(), '-t', `${topic}/#`, '-T', `${topic}/hidden/#`, '-R', '-C', '1', '-v']);
    await mosqPub('-t', `${topic}/hidden/x`, '-m', 'secret');
    await mosqPub('-t', `${topic}/shown`, '-m', 'visible');
    const r = await sub.done;
    assert.equal(r.stdout, `${topic}/shown visible\n`);
    await mosqPub('-t', `${topic}/old`, '-r', '-n');
  });

  test(`${b.name}: sub -c -E keeps a session; QoS 1 messages published while away arrive on return [MQTT-3.1.2-4] [MQTT-3.1.2-5]; -U removes the subscription; -W exits 27`, async () => {
    const topic = uniqueTopic('session');
    const id = `glassmq-cli-${process.pid}-${seq}`;
    assertOk(await glassmq(['sub', ...at(), '-c', '-i', id, '-q', '1', '-t', topic, '-E']), 'sub -E');
    await mosqPub('-t', topic, '-q', '1', '-m', 'while away');
    const back = await glassmq(['sub', ...at(), '-c', '-i', id, '-q', '1', '-t', topic, '-C', '1']);
    assertOk(back, 'sub again');
    assert.equal(back.stdout, 'while away\n');
    assertOk(await glassmq(['sub', ...at(), '-c', '-i', id, '-U', topic, '-E']), 'sub -U -E');
    await mosqPub('-t', topic, '-q', '1', '-m', 'after unsubscribe');
    // Resuming the session (-c) would deliver the queued message if -U had not removed the subscription.
    const last = await glassmq(['sub', ...at(), '-c', '-i', id, '-q', '1', '-t', `${topic}/other`, '-W', '1']);
    assert.deepEqual([last.code, last.stdout], [27, ''], 'mosquitto_sub status for -W expiry, and nothing queued after -U');
    assert.match(last.stderr, /^Timed out$/m);
  });

  test(`${b.name}: sub --remove-retained --retained-only clears every retained message under a filter`, async () => {
    const topic = uniqueTopic('clear');
    await mosqPub('-t', `${topic}/a`, '-r', '-m', '1');
    await mosqPub('-t', `${topic}/b`, '-r', '-m', '2');
    const cleared = await glassmq(['sub', ...at(), '-t', `${topic}/#`, '--remove-retained', '--retained-only', '-C', '2', '-v']);
    assertOk(cleared, 'sub --remove-retained');
    assert.deepEqual(cleared.stdout.trim().split('\n').sort(), [`${topic}/a 1`, `${topic}/b 2`]);
    const after = await runMosquittoClient('mosquitto_sub', [...at(), '-t', `${topic}/#`, '-W', '1']);
    assert.deepEqual([after.code, after.stdout], [27, '']);
  });
}
