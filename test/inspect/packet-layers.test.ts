// Link layer -> IP -> TCP: every link type the inspector reads, VLAN tags, IPv6 extension headers, fragments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFrame, formatIPv6 } from '../../src/inspect/packet-layers.js';
import { TCP, bsdLoopback, ethernet, ipv4Packet, ipv6Packet, linuxSll, linuxSll2, ipv6Bytes } from './helpers/frames.js';

const payload = Buffer.from('hello');
const v4 = { src: '192.168.1.10', dst: '192.168.1.20', sport: 51000, dport: 1883, seq: 77, ack: 99, flags: TCP.PSH | TCP.ACK, payload };
const v6 = { ...v4, src: '2001:db8::10', dst: '2001:db8::20' };

const cases: [string, number, Buffer, string][] = [
  ['Ethernet (1)', 1, ethernet(ipv4Packet(v4)), '192.168.1.10'],
  ['Ethernet with stacked 802.1Q tags', 1, ethernet(ipv4Packet(v4), { vlan: [100, 200] }), '192.168.1.10'],
  ['Ethernet IPv6', 1, ethernet(ipv6Packet(v6)), '2001:db8::10'],
  ['Linux cooked v1 (113)', 113, linuxSll(ipv4Packet(v4)), '192.168.1.10'],
  ['Linux cooked v2 (276)', 276, linuxSll2(ipv6Packet(v6)), '2001:db8::10'],
  ['BSD loopback NULL (0), little-endian family', 0, bsdLoopback(ipv4Packet(v4), true), '192.168.1.10'],
  ['BSD loopback NULL (0), big-endian family, IPv6 (30)', 0, bsdLoopback(ipv6Packet(v6), false), '2001:db8::10'],
  ['OpenBSD LOOP (108), network order, IPv6 (24)', 108, bsdLoopback(ipv6Packet(v6), false, 24), '2001:db8::10'],
  ['raw IP (101), IPv4', 101, ipv4Packet(v4), '192.168.1.10'],
  ['raw IP (12)', 12, ipv6Packet(v6), '2001:db8::10'],
  ['raw IP (14)', 14, ipv4Packet(v4), '192.168.1.10'],
  ['IPv4 (228)', 228, ipv4Packet(v4), '192.168.1.10'],
  ['IPv6 (229) with hop-by-hop and destination-options extension headers', 229, ipv6Packet(v6, { extensions: true }), '2001:db8::10'],
];

for (const [name, linkType, frame, src] of cases) {
  test(`link layer ${name}: TCP segment with ports, sequence numbers and payload`, () => {
    const seg = decodeFrame(linkType, frame);
    assert.equal(seg.kind, 'tcp');
    if (seg.kind !== 'tcp') return;
    assert.equal(seg.src, src);
    assert.equal(seg.srcPort, 51000);
    assert.equal(seg.dstPort, 1883);
    assert.equal(seg.seq, 77);
    assert.equal(seg.ack, 99);
    assert.equal(seg.flags, TCP.PSH | TCP.ACK);
    assert.deepEqual(seg.payload, payload);
  });
}

test('Ethernet padding after a short IPv4 packet is not taken as TCP payload (IP total length rules)', () => {
  const seg = decodeFrame(1, ethernet(ipv4Packet({ ...v4, payload: Buffer.alloc(0) }), { padTo: 60 }));
  assert.ok(seg.kind === 'tcp');
  assert.equal(seg.payload.length, 0);
});

test('IPv4 fragments are flagged, not misread as TCP', () => {
  const first = decodeFrame(101, ipv4Packet(v4, { fragment: { mf: true, offset: 0 } }));
  const later = decodeFrame(101, ipv4Packet(v4, { fragment: { mf: false, offset: 1480 } }));
  assert.equal(first.kind === 'skip' && first.reason, 'fragment');
  assert.equal(later.kind === 'skip' && later.reason, 'fragment');
});

test('non-IP, truncated and unsupported frames are skipped with a reason', () => {
  const arp = Buffer.concat([Buffer.alloc(12), Buffer.from([0x08, 0x06]), Buffer.alloc(28)]);
  assert.equal((decodeFrame(1, arp) as { reason: string }).reason, 'not-ip');
  assert.equal((decodeFrame(1, ethernet(ipv4Packet(v4)).subarray(0, 30)) as { reason: string }).reason, 'truncated');
  assert.equal((decodeFrame(147, Buffer.alloc(40)) as { reason: string }).reason, 'unsupported-link');
});

test('IPv6 addresses print in RFC 5952 form', () => {
  assert.equal(formatIPv6(ipv6Bytes('::1'), 0), '::1');
  assert.equal(formatIPv6(ipv6Bytes('2001:db8:0:0:1:0:0:1'), 0), '2001:db8::1:0:0:1');
  assert.equal(formatIPv6(ipv6Bytes('fe80::'), 0), 'fe80::');
  assert.equal(formatIPv6(ipv6Bytes('1:2:3:4:5:6:7:8'), 0), '1:2:3:4:5:6:7:8');
});
