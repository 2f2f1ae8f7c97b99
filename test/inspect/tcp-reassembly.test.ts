// TCP reassembly of one direction: order, retransmission, overlap, wraparound, gaps, bounds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TcpDirection } from '../../src/inspect/tcp-reassembly.js';

function collector(): { out: string[]; dir: TcpDirection; ended: () => boolean } {
  const out: string[] = [];
  let ended = false;
  const dir = new TcpDirection({
    data: (b) => out.push(b.toString()),
    gap: (n) => out.push(`<gap ${n}>`),
    end: () => (ended = true),
  }, { maxPendingBytes: 100, maxPendingSegments: 4 });
  return { out, dir, ended: () => ended };
}
const B = (s: string): Buffer => Buffer.from(s);

test('in-order segments after the SYN come out as one stream; FIN ends it', () => {
  const { out, dir, ended } = collector();
  dir.syn(999);
  dir.segment(1000, B('abc'), false);
  dir.segment(1003, B('def'), true);
  assert.equal(out.join(''), 'abcdef');
  assert.ok(ended());
});

test('out-of-order segments are held until the hole fills', () => {
  const { out, dir } = collector();
  dir.syn(0);
  dir.segment(7, B('ghi'), false);
  dir.segment(4, B('def'), false);
  assert.deepEqual(out, []);
  dir.segment(1, B('abc'), false);
  assert.equal(out.join(''), 'abcdefghi');
});

test('retransmissions are dropped and overlapping segments trimmed', () => {
  const { out, dir } = collector();
  dir.syn(0);
  dir.segment(1, B('abcd'), false);
  dir.segment(1, B('abcd'), false); // full retransmission
  dir.segment(3, B('cdefg'), false); // overlaps 2 bytes
  dir.segment(10, B('jk'), false);
  dir.segment(7, B('ghijkl'), false); // overlaps delivered and held data
  assert.equal(out.join(''), 'abcdefghijkl');
});

test('sequence numbers wrap around 2^32', () => {
  const { out, dir } = collector();
  dir.syn(0xfffffffd);
  dir.segment(0xfffffffe, B('ab'), false);
  dir.segment(0x00000002, B('ef'), false); // out of order across the wrap
  dir.segment(0x00000000, B('cd'), false);
  assert.equal(out.join(''), 'abcdef');
});

test('a hole the peer acknowledged is reported as a gap of its size, and the stream goes on', () => {
  const { out, dir } = collector();
  dir.syn(0);
  dir.segment(1, B('abc'), false);
  dir.segment(10, B('jkl'), false); // bytes 4..9 never captured
  dir.peerAck(13); // the receiver got them all
  assert.deepEqual(out, ['abc', '<gap 6>', 'jkl']);
});

test('held data beyond the bound forces the gap; close flushes what is left with gaps', () => {
  const { out, dir, ended } = collector();
  dir.syn(0);
  dir.segment(1, B('a'), false);
  for (let i = 0; i < 5; i++) dir.segment(100 + i * 10, B('x'), false);
  assert.ok(out.includes('<gap 98>'), out.join(','));
  dir.close();
  assert.ok(ended());
  assert.equal(out.filter((s) => s === 'x').length, 5);
});

test('a capture that starts mid-connection starts the stream at the first segment seen', () => {
  const { out, dir } = collector();
  dir.segment(123456, B('mid'), false);
  dir.segment(123459, B('dle'), false);
  assert.equal(out.join(''), 'middle');
});
