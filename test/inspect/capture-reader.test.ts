// pcap and pcapng readers: byte orders, timestamp resolutions, several interfaces, secrets blocks, damage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PcapngBuilder, pcapFile, ethernet, ipv4Packet, linuxSll, TCP } from './helpers/frames.js';
import { events, dissectBuffer } from './helpers/run.js';
import { BufferSource, FileSource } from '../../src/inspect/byte-source.js';
import { readCapture } from '../../src/inspect/capture-reader.js';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const seg = { src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 1883, seq: 1, flags: TCP.ACK };
const frameA = ethernet(ipv4Packet(seg));
const frameB = linuxSll(ipv4Packet({ ...seg, seq: 2 }));

for (const bigEndian of [false, true]) {
  for (const nanos of [false, true]) {
    test(`pcap ${bigEndian ? 'big' : 'little'}-endian ${nanos ? 'nanosecond' : 'microsecond'} magic: records, link type and timestamps`, () => {
      const frac = nanos ? 123456789 : 123456;
      const file = pcapFile(1, [{ sec: 1_700_000_000, frac, data: frameA }, { sec: 1_700_000_001, frac: 0, data: frameA }], { bigEndian, nanos });
      const evs = events(file);
      assert.equal(evs.length, 2);
      const [a, b] = evs;
      assert.equal(a!.kind, 'packet');
      if (a!.kind !== 'packet' || b!.kind !== 'packet') return;
      assert.equal(a.frame, 1);
      assert.equal(b.frame, 2);
      assert.equal(a.linkType, 1);
      assert.ok(Math.abs(a.time - (1_700_000_000 + (nanos ? 0.123456789 : 0.123456))) < 1e-6);
      assert.deepEqual(a.data, frameA);
    });
  }
}

test('pcapng: two interfaces with their own link types and if_tsresol, EPB + SPB + obsolete PB, DSB key log', () => {
  const keylog = `CLIENT_RANDOM ${'ab'.repeat(32)} ${'cd'.repeat(48)}\n`;
  const file = new PcapngBuilder()
    .shb()
    .idb(1) // Ethernet, default microseconds
    .idb(113, 9) // Linux cooked, nanoseconds
    .dsb(keylog)
    .epb(0, 1_700_000_000_500_000n, frameA)
    .epb(1, 1_700_000_000_250_000_000n, frameB)
    .spb(frameA)
    .obsoletePb(1, 1_700_000_002_000_000_000n, frameB)
    .block(0x00000bad, Buffer.alloc(8)) // unknown block types are skipped
    .build();
  const evs = events(file);
  const secrets = evs.filter((e) => e.kind === 'secrets');
  assert.equal(secrets.length, 1);
  assert.equal(secrets[0]!.kind === 'secrets' && secrets[0]!.keylog, keylog);
  const packets = evs.filter((e) => e.kind === 'packet');
  assert.deepEqual(packets.map((p) => p.kind === 'packet' && [p.frame, p.linkType, p.interfaceId]), [[1, 1, 0], [2, 113, 1], [3, 1, 0], [4, 113, 1]]);
  const times = packets.map((p) => (p.kind === 'packet' ? p.time : 0));
  assert.ok(Math.abs(times[0]! - 1_700_000_000.5) < 1e-6);
  assert.ok(Math.abs(times[1]! - 1_700_000_000.25) < 1e-6);
  assert.ok(Math.abs(times[3]! - 1_700_000_002) < 1e-6);
  assert.deepEqual(packets[1]!.kind === 'packet' && packets[1]!.data, frameB);
});

test('pcapng: big-endian section reads the same', () => {
  const file = new PcapngBuilder(false).shb().idb(1, 6).epb(0, 1_700_000_000_000_001n, frameA).build();
  const evs = events(file);
  assert.equal(evs.length, 1);
  const p = evs[0]!;
  assert.ok(p.kind === 'packet');
  assert.deepEqual(p.data, frameA);
  assert.ok(Math.abs(p.time - 1_700_000_000.000001) < 1e-7);
});

test('pcapng: a second section resets the interface table', () => {
  const file = Buffer.concat([
    new PcapngBuilder().shb().idb(1).epb(0, 1n, frameA).build(),
    new PcapngBuilder(false).shb().idb(113).epb(0, 2n, frameB).build(),
  ]);
  const packets = events(file).filter((e) => e.kind === 'packet');
  assert.deepEqual(packets.map((p) => p.kind === 'packet' && p.linkType), [1, 113]);
});

test('damaged captures: truncated record, impossible block length, garbage, unknown interface -> problems, never a throw', () => {
  const good = pcapFile(1, [{ sec: 1, frac: 0, data: frameA }, { sec: 2, frac: 0, data: frameA }]);
  const cut = events(good.subarray(0, good.length - 10));
  assert.equal(cut.filter((e) => e.kind === 'packet').length, 1);
  assert.deepEqual(cut.at(-1), { kind: 'problem', code: 'TRUNCATED', message: 'record 2 cut short (' + (frameA.length - 10) + ` of ${frameA.length} bytes)`, frame: 2, fatal: true });

  const ng = new PcapngBuilder().shb().idb(1).epb(0, 1n, frameA).build();
  const epbOffset = new PcapngBuilder().shb().idb(1).build().length;
  const badLen = Buffer.from(ng);
  badLen.writeUInt32LE(13, epbOffset + 4); // EPB length field: not a multiple of 4
  const bad = events(badLen);
  assert.equal(bad.length, 1);
  assert.equal(bad[0]!.kind === 'problem' && bad[0]!.code, 'BAD_BLOCK_LENGTH');
  badLen.writeUInt32LE(0x7ffffff0, epbOffset + 4); // huge: must not be allocated
  assert.equal(events(badLen)[0]!.kind === 'problem' && (events(badLen)[0] as { code: string }).code, 'BAD_BLOCK_LENGTH');

  const garbage = events(Buffer.from('this is not a capture at all'));
  assert.equal(garbage.length, 1);
  assert.equal(garbage[0]!.kind === 'problem' && garbage[0]!.code, 'BAD_MAGIC');

  const noIface = events(new PcapngBuilder().shb().idb(1).epb(3, 1n, frameA).epb(0, 1n, frameA).build());
  assert.equal(noIface[0]!.kind === 'problem' && noIface[0]!.code, 'UNKNOWN_INTERFACE');
  assert.equal(noIface[1]!.kind === 'packet' && noIface[1]!.frame, 2);

  // Every prefix of a valid capture yields events and then stops: no throw, no endless loop.
  for (let n = 0; n < ng.length; n += 3) {
    const evs = [...readCapture(new BufferSource(ng.subarray(0, n)))];
    assert.ok(evs.length <= 2);
  }
  const d = dissectBuffer(good.subarray(0, good.length - 10));
  assert.equal(d.notes[0]!.note.code, 'TRUNCATED');
});

test('FileSource reads in chunks: a record spanning chunk boundaries comes out whole', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glassmq-inspect-'));
  try {
    const recs = Array.from({ length: 50 }, (_, i) => ({ sec: i, frac: 0, data: Buffer.alloc(97 + i, i) }));
    const path = join(dir, 'x.pcap');
    writeFileSync(path, pcapFile(1, recs));
    const src = new FileSource(path, 64); // tiny chunks
    const got = [...readCapture(src)];
    src.close();
    assert.equal(got.length, 50);
    got.forEach((e, i) => assert.deepEqual(e.kind === 'packet' && e.data, recs[i]!.data));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
