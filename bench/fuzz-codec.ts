// Fuzzes the codec with 1,000,000 random and mutated inputs (or the count given as the first argument):
// only ProtocolError may escape, decoder and dissector must agree, the stream decoder must terminate.
// Run: node --import tsx bench/fuzz-codec.ts [count] [seed]
import { checkInput, fuzzInput, rng, seedPackets } from './fuzz-inputs.js';

const count = Number(process.argv[2] ?? 1_000_000);
const seed = Number(process.argv[3] ?? Date.now() % 1_000_000_007);
const MAX_PACKET = 64 * 1024;

const rand = rng(seed);
const seeds = seedPackets();
const result = { decoded: 0, rejected: 0 };
const started = process.hrtime.bigint();
for (let i = 0; i < count; i++) {
  const { bytes, version } = fuzzInput(rand, seeds);
  try {
    checkInput(bytes, version, rand, MAX_PACKET, result);
  } catch (err) {
    console.error(`input ${i} (seed ${seed}): ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
  if ((i + 1) % 200_000 === 0) console.log(`  ${i + 1} inputs...`);
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
console.log(`fuzz-codec: ${count} inputs (seed ${seed}) in ${seconds.toFixed(1)} s: ${result.decoded} decoded, ${result.rejected} rejected with ProtocolError, no other exception`);
