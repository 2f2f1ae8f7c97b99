// The suite's own bookkeeping: every spec tag in a test name names a statement that exists in the
// checklist of that version (a typo would silently inflate the coverage figure), and the coverage
// report runs. Prints "covered X / Y server statements" per version.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/net.js';

interface VersionCoverage {
  version: string;
  covered: string[];
  total: number;
  unknownTags: string[];
}

test('every [MQTT-x.y.z-n] tag under test/conformance exists in its version\'s checklist', () => {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'conformance-coverage.mjs'), '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as VersionCoverage[];
  assert.deepEqual(report.map((v) => v.version), ['v3.1.1', 'v5']);
  for (const v of report) {
    assert.deepEqual(v.unknownTags, [], `${v.version} tags not in the checklist`);
    assert.ok(v.total > 0 && v.covered.length > 0);
    console.log(`${v.version}: covered ${v.covered.length} / ${v.total} server statements`);
  }
});
