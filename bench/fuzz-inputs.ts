// Random and mutated inputs for the decoder fuzz test (test/protocol/fuzz.test.ts) and bench/fuzz-codec.ts.
import {
  ProtocolError, PacketDecoder, decodePacket, dissectPacket, encodePacket, type Packet, type ProtocolVersion,
} from '../src/protocol/index.js';

/** Small deterministic PRNG (mulberry32) so a failing case can be replayed from its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const b = (s: string): Buffer => Buffer.from(s);

/** Valid packets of every type whose encodings the mutator starts from (the tests add the fixture table). */
export function seedPackets(): Buffer[] {
  const props = { userProperties: [['k', 'v']] as [string, string][], reasonString: 'r' };
  const list: [Packet, ProtocolVersion][] = [
    [{ type: 'connect', protocolName: 'MQTT', protocolVersion: 4, clean: true, keepalive: 5, clientId: 'c', username: 'u', password: b('p'), will: { topic: 'w', payload: b('x'), qos: 1, retain: true } }, 4],
    [{ type: 'connect', protocolName: 'MQTT', protocolVersion: 5, clean: false, keepalive: 9, clientId: 'c5', properties: { sessionExpiryInterval: 10, receiveMaximum: 5 }, will: { topic: 'w', payload: b('x'), qos: 2, retain: false, properties: { willDelayInterval: 3 } } }, 5],
    [{ type: 'connect', protocolName: 'MQIsdp', protocolVersion: 3, clean: true, keepalive: 5, clientId: 'c3' }, 3],
    [{ type: 'connack', sessionPresent: true, reasonCode: 0 }, 4],
    [{ type: 'connack', sessionPresent: false, reasonCode: 0x87, properties: { maximumQoS: 1, assignedClientIdentifier: 'id' } }, 5],
    [{ type: 'publish', topic: 'a/b', payload: b('hello'), qos: 0, retain: false, dup: false }, 4],
    [{ type: 'publish', topic: 'a/b', payload: b('hello'), qos: 2, retain: true, dup: true, packetId: 7, properties: { contentType: 'text', topicAlias: 2, subscriptionIdentifiers: [1, 200] } }, 5],
    [{ type: 'puback', packetId: 1 }, 4],
    [{ type: 'pubrec', packetId: 1, reasonCode: 0x10, properties: props }, 5],
    [{ type: 'pubrel', packetId: 1 }, 4],
    [{ type: 'pubcomp', packetId: 1, reasonCode: 0x92 }, 5],
    [{ type: 'subscribe', packetId: 2, subscriptions: [{ topicFilter: 'a/+/#', qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 }] }, 4],
    [{ type: 'subscribe', packetId: 2, properties: { subscriptionIdentifiers: [5] }, subscriptions: [{ topicFilter: '$share/g/a', qos: 2, noLocal: false, retainAsPublished: true, retainHandling: 2 }] }, 5],
    [{ type: 'suback', packetId: 2, reasonCodes: [0, 0x80] }, 4],
    [{ type: 'unsubscribe', packetId: 3, topicFilters: ['a', 'b/#'] }, 5],
    [{ type: 'unsuback', packetId: 3, reasonCodes: [0, 0x11] }, 5],
    [{ type: 'pingreq' }, 4],
    [{ type: 'disconnect', reasonCode: 0x8e, properties: props }, 5],
    [{ type: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'M', authenticationData: b('d') } }, 5],
  ];
  return list.map(([p, v]) => encodePacket(p, v));
}

/** One input: random bytes, a mutated fixture, or a fixture with a hostile Remaining Length. */
export function fuzzInput(rand: () => number, seeds: Buffer[]): { bytes: Buffer; version: ProtocolVersion } {
  const version = ([3, 4, 5] as const)[Math.floor(rand() * 3)]!;
  const kind = rand();
  if (kind < 0.25) {
    const b = Buffer.allocUnsafe(Math.floor(rand() * 48));
    for (let i = 0; i < b.length; i++) b[i] = Math.floor(rand() * 256);
    return { bytes: b, version };
  }
  const seed = seeds[Math.floor(rand() * seeds.length)]!;
  const copy = Buffer.from(seed);
  const mutations = 1 + Math.floor(rand() * 3);
  let out = copy;
  for (let m = 0; m < mutations; m++) {
    const r = rand();
    const at = Math.floor(rand() * Math.max(1, out.length));
    if (r < 0.4 && out.length > 0) {
      out[at] = out[at]! ^ (1 << Math.floor(rand() * 8)); // flip a bit
    } else if (r < 0.6 && out.length > 0) {
      out[at] = Math.floor(rand() * 256); // replace a byte
    } else if (r < 0.75) {
      out = Buffer.concat([out.subarray(0, at), Buffer.from([Math.floor(rand() * 256)]), out.subarray(at)]); // insert
    } else if (r < 0.9) {
      out = Buffer.concat([out.subarray(0, at), out.subarray(at + 1)]); // delete
    } else {
      out = out.subarray(0, at); // truncate
    }
  }
  return { bytes: out, version };
}

export interface FuzzResult {
  decoded: number;
  rejected: number;
}

/**
 * Runs one input through decodePacket, dissectPacket and a chunked PacketDecoder; throws (a plain Error)
 * if anything but a ProtocolError escapes or the decoder and the dissector disagree.
 */
export function checkInput(bytes: Buffer, version: ProtocolVersion, rand: () => number, maxPacketSize: number, result: FuzzResult): void {
  let packet: Packet | undefined;
  let error: ProtocolError | undefined;
  try {
    packet = decodePacket(bytes, version);
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw new Error(`decodePacket(${bytes.toString('hex')}, ${version}) threw ${String(err)}`, { cause: err });
    error = err;
  }
  const d = dissectPacket(bytes, version); // never throws
  if ((d.error?.code ?? null) !== (error?.code ?? null)) {
    throw new Error(`decoder and dissector disagree on ${bytes.toString('hex')} v${version}: ${error?.code} vs ${d.error?.code}`);
  }
  if (packet) {
    result.decoded++;
    // what decodes re-encodes to bytes that decode and re-encode to themselves (the encoder may pick a
    // shorter form, e.g. a 5.0 PUBACK without its 0x00 reason code)
    const v = d.protocolVersion;
    const once = encodePacket(packet, v);
    if (!encodePacket(decodePacket(once, v), v).equals(once)) throw new Error(`re-encoding is unstable for ${bytes.toString('hex')}`);
  } else {
    result.rejected++;
  }
  const stream = new PacketDecoder({ protocolVersion: version, maxPacketSize });
  try {
    for (let i = 0; i < bytes.length;) {
      const n = 1 + Math.floor(rand() * 8);
      stream.push(bytes.subarray(i, i + n), () => undefined);
      i += n;
    }
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw new Error(`PacketDecoder on ${bytes.toString('hex')} threw ${String(err)}`, { cause: err });
  }
}
