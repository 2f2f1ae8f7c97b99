// The filter algebra behind ACL decisions, checked exhaustively against plain matching over a small universe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { filterCovers, filterIntersection, filterMatches, isValidFilter } from '../../src/auth/topic-filter.js';

const LEVELS = ['a', 'b', '$s', ''];

/** Every topic of 1..4 levels over LEVELS. */
const UNIVERSE: string[] = (() => {
  const out: string[][] = LEVELS.map((l) => [l]);
  for (let depth = 1; depth < 4; depth++) {
    for (const prefix of out.filter((p) => p.length === depth)) for (const l of LEVELS) out.push([...prefix, l]);
  }
  return out.map((p) => p.join('/'));
})();

const filterArb = fc
  .array(fc.constantFrom('a', 'b', '$s', '', '+'), { minLength: 1, maxLength: 3 })
  .chain((levels) => fc.boolean().map((hash) => (hash ? [...levels.slice(0, -1), '#'] : levels).join('/')));

test('3.1.1 [MQTT-4.7.1-2] [MQTT-4.7.1-3] filter syntax and matching: # matches the parent level, + one level, wildcards skip $ topics [MQTT-4.7.2-1]', () => {
  assert.equal(filterMatches('a/#', 'a'), true);
  assert.equal(filterMatches('a/+', 'a/'), true);
  assert.equal(filterMatches('a/+', 'a'), false);
  assert.equal(filterMatches('#', '$SYS/x'), false);
  assert.equal(filterMatches('+/x', '$SYS/x'), false);
  assert.equal(filterMatches('$SYS/#', '$SYS/x'), true);
  assert.equal(isValidFilter('a/#/b'), false);
  assert.equal(isValidFilter('a+'), false);
  assert.equal(isValidFilter('a/b#'), false);
  assert.equal(isValidFilter('+/+/#'), true);
});

test('filterIntersection matches exactly the topics both filters match (exhaustive over a small universe)', () => {
  fc.assert(
    fc.property(filterArb, filterArb, (x, y) => {
      const shared = filterIntersection(x, y);
      for (const topic of UNIVERSE) {
        const both = filterMatches(x, topic) && filterMatches(y, topic);
        assert.equal(shared !== null && filterMatches(shared, topic), both, `${x} ∩ ${y} = ${shared} on '${topic}'`);
      }
    }),
    { numRuns: 400 },
  );
});

test('filterCovers(outer, inner) holds exactly when every topic inner matches is matched by outer', () => {
  fc.assert(
    fc.property(filterArb, filterArb, (outer, inner) => {
      // the universe is one level deeper than any filter, so it can tell every non-covering pair apart
      const truth = UNIVERSE.every((topic) => !filterMatches(inner, topic) || filterMatches(outer, topic));
      assert.equal(filterCovers(outer, inner), truth, `${outer} covers ${inner}?`);
    }),
    { numRuns: 400 },
  );
});
