// fast-check arbitraries for valid packets of each protocol version, shared by the differential, chunking
// and fuzz tests.
import fc from 'fast-check';
import type { Packet, Properties, PropertyContext, ProtocolVersion, QoS } from '../../src/protocol/index.js';
import { PROPERTY_DEFS, VALID_REASON_CODES, CONNECT_RETURN_CODE_NAMES } from '../../src/protocol/index.js';

const noNull = (s: string): boolean => !s.includes('\u0000');
/** Any Unicode text without U+0000 (fast-check's 'binary' unit yields whole code points, never lone surrogates). */
export const mqttString = (maxLength = 12): fc.Arbitrary<string> =>
  fc.string({ unit: 'binary', maxLength }).filter(noNull);
const levelText = fc.string({ unit: 'binary', maxLength: 6 }).filter((s) => noNull(s) && !/[/+#]/.test(s));
export const topicName: fc.Arbitrary<string> = fc.array(levelText, { minLength: 1, maxLength: 4 })
  .map((levels) => levels.join('/')).filter((t) => t.length > 0);
export const topicFilter: fc.Arbitrary<string> = fc.tuple(
  fc.array(fc.oneof(levelText, fc.constant('+')), { minLength: 1, maxLength: 4 }),
  fc.boolean(),
).map(([levels, hash]) => (hash ? [...levels, '#'] : levels).join('/'))
  .filter((f) => f.length > 0 && !f.startsWith('$share/')); // shared filters have their own rules, tested apart
const bytes = (maxLength = 40): fc.Arbitrary<Buffer> => fc.uint8Array({ maxLength }).map((a) => Buffer.from(a));
const qos: fc.Arbitrary<QoS> = fc.constantFrom(0, 1, 2);
const packetId = fc.integer({ min: 1, max: 0xffff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });

/** A valid property list for `ctx` (each allowed property maybe present, user properties repeated). */
export function properties(ctx: PropertyContext): fc.Arbitrary<Properties | undefined> {
  const parts: Record<string, fc.Arbitrary<unknown>> = {};
  for (const def of PROPERTY_DEFS) {
    if (!def.contexts.includes(ctx)) continue;
    let a: fc.Arbitrary<unknown>;
    switch (def.name) {
      case 'userProperties': a = fc.array(fc.tuple(mqttString(6), mqttString(6)), { minLength: 1, maxLength: 3 }); break;
      case 'subscriptionIdentifiers':
        a = fc.array(fc.integer({ min: 1, max: 268_435_455 }), { minLength: 1, maxLength: ctx === 'subscribe' ? 1 : 3 }); break;
      case 'receiveMaximum': a = fc.integer({ min: 1, max: 0xffff }); break;
      case 'maximumPacketSize': a = fc.integer({ min: 1, max: 0xffff_ffff }); break;
      case 'topicAlias': a = fc.integer({ min: 1, max: 0xffff }); break;
      case 'responseTopic': a = topicName; break;
      default:
        switch (def.type) {
          case 'byte': a = fc.constantFrom(0, 1); break;
          case 'twoByteInteger': a = u16; break;
          case 'fourByteInteger': a = u32; break;
          case 'varInt': a = fc.integer({ min: 1, max: 268_435_455 }); break;
          case 'utf8String': a = mqttString(); break;
          case 'binaryData': a = bytes(8); break;
          default: a = fc.constant(undefined);
        }
    }
    parts[def.name] = a;
  }
  return fc.record(parts, { requiredKeys: [] }).map((p) => (Object.keys(p).length === 0 ? undefined : ({ ...p } as Properties)));
}

function withProps<T extends Packet>(p: T, props: Properties | undefined): T {
  if (props) (p as { properties?: Properties }).properties = props;
  return p;
}

const codesFor = (type: string): number[] => [...(VALID_REASON_CODES[type] ?? [])];

export function packetArb(version: ProtocolVersion): fc.Arbitrary<Packet> {
  const v5 = version === 5;
  const props = (ctx: PropertyContext): fc.Arbitrary<Properties | undefined> => (v5 ? properties(ctx) : fc.constant(undefined));
  const connect = fc.record({
    clean: fc.boolean(), keepalive: u16, clientId: mqttString(23),
    will: fc.option(fc.record({ topic: topicName, payload: bytes(), qos, retain: fc.boolean(), props: props('will') }), { nil: undefined }),
    username: fc.option(mqttString(), { nil: undefined }), password: fc.option(bytes(10), { nil: undefined }), props: props('connect'),
  }).map((r): Packet => {
    const p: Packet = { type: 'connect', protocolName: version === 3 ? 'MQIsdp' : 'MQTT', protocolVersion: version, clean: r.clean, keepalive: r.keepalive, clientId: r.clientId };
    if (r.will) p.will = withProps({ topic: r.will.topic, payload: r.will.payload, qos: r.will.qos, retain: r.will.retain } as never, r.will.props);
    // 3.x needs a user name whenever there is a password [MQTT-3.1.2-22]
    if (r.username !== undefined || (r.password !== undefined && !v5)) p.username = r.username ?? 'u';
    if (r.password !== undefined) p.password = r.password;
    return withProps(p, r.props);
  });
  const connack = fc.record({
    sessionPresent: fc.boolean(),
    code: v5 ? fc.constantFrom(...codesFor('connack')) : fc.constantFrom(...Object.keys(CONNECT_RETURN_CODE_NAMES).map(Number)),
    props: props('connack'),
  }).map((r): Packet => withProps({ type: 'connack', sessionPresent: version === 3 ? false : r.sessionPresent, reasonCode: r.code }, r.props));
  const publish = fc.record({ topic: topicName, payload: bytes(80), qos, retain: fc.boolean(), dup: fc.boolean(), id: packetId, props: props('publish') })
    .map((r): Packet => {
      const p: Packet = { type: 'publish', topic: r.topic, payload: r.payload, qos: r.qos, retain: r.retain, dup: r.qos > 0 && r.dup };
      if (r.qos > 0) p.packetId = r.id;
      return withProps(p, r.props);
    });
  const ack = (type: 'puback' | 'pubrec' | 'pubrel' | 'pubcomp'): fc.Arbitrary<Packet> =>
    fc.record({ id: packetId, code: fc.constantFrom(...codesFor(type)), props: props(type) }).map((r): Packet => {
      const p = { type, packetId: r.id } as Packet & { reasonCode?: number };
      if (v5 && (r.code !== 0 || r.props)) p.reasonCode = r.code;
      return withProps(p, r.props);
    });
  const subscribe = fc.record({
    id: packetId,
    subs: fc.array(fc.record({ topicFilter, qos, noLocal: fc.boolean(), retainAsPublished: fc.boolean(), retainHandling: fc.constantFrom(0, 1, 2) }), { minLength: 1, maxLength: 4 }),
    props: props('subscribe'),
  }).map((r): Packet => withProps({
    type: 'subscribe', packetId: r.id,
    subscriptions: r.subs.map((s) => (v5 ? { ...s } : { ...s, noLocal: false, retainAsPublished: false, retainHandling: 0 })) as never,
  }, r.props));
  const suback = fc.record({
    id: packetId, codes: fc.array(fc.constantFrom(...(v5 ? codesFor('suback') : [0, 1, 2, 0x80])), { minLength: 1, maxLength: 4 }), props: props('suback'),
  }).map((r): Packet => withProps({ type: 'suback', packetId: r.id, reasonCodes: r.codes }, r.props));
  const unsubscribe = fc.record({ id: packetId, filters: fc.array(topicFilter, { minLength: 1, maxLength: 4 }), props: props('unsubscribe') })
    .map((r): Packet => withProps({ type: 'unsubscribe', packetId: r.id, topicFilters: r.filters }, r.props));
  const unsuback = fc.record({ id: packetId, codes: fc.array(fc.constantFrom(...codesFor('unsuback')), { minLength: 1, maxLength: 4 }), props: props('unsuback') })
    .map((r): Packet => (v5 ? withProps({ type: 'unsuback', packetId: r.id, reasonCodes: r.codes }, r.props) : { type: 'unsuback', packetId: r.id }));
  const reasonOnly = (type: 'disconnect' | 'auth'): fc.Arbitrary<Packet> =>
    fc.record({ code: fc.constantFrom(...codesFor(type)), props: props(type) }).map((r): Packet => {
      const p = { type } as Packet & { reasonCode?: number };
      if (v5 && (r.code !== 0 || r.props)) p.reasonCode = r.code;
      return withProps(p, r.props);
    });
  const all: fc.Arbitrary<Packet>[] = [
    connect, connack, publish, ack('puback'), ack('pubrec'), ack('pubrel'), ack('pubcomp'), subscribe, suback, unsubscribe,
    unsuback, fc.constant({ type: 'pingreq' }), fc.constant({ type: 'pingresp' }), reasonOnly('disconnect'),
  ];
  if (v5) all.push(reasonOnly('auth'));
  return fc.oneof(...all);
}

export const versionedPacket: fc.Arbitrary<{ version: ProtocolVersion; packet: Packet }> = fc.constantFrom<ProtocolVersion>(3, 4, 5)
  .chain((version) => packetArb(version).map((packet) => ({ version, packet })));
