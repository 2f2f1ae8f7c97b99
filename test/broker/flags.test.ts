import { test } from 'node:test';
import assert from 'node:assert/strict';
import { brokerHelp, FlagError, parseBrokerFlags } from '../../src/config/broker-flags.js';
import { DEFAULT_CONFIG } from '../../src/config/config.js';
import { DEFAULT_LIMITS } from '../../src/broker/limits.js';
import { DEFAULT_SYS_INTERVAL } from '../../src/broker/broker.js';

function config(argv: string[]) {
  const r = parseBrokerFlags(argv);
  assert.equal(r.help, false);
  return (r as { config: typeof DEFAULT_CONFIG }).config;
}

function flagError(argv: string[]): FlagError {
  try {
    parseBrokerFlags(argv);
  } catch (err) {
    assert.ok(err instanceof FlagError);
    return err;
  }
  assert.fail(`no error for ${argv.join(' ')}`);
}

test('without a listener flag the default listener is 127.0.0.1:1883 and flagged as default', () => {
  const c = config([]);
  assert.deepEqual(c.tcp, [{ host: '127.0.0.1', port: 1883 }]);
  assert.equal(c.defaultListeners, true);
  assert.equal(config(['--memory']).memory, true);
});

test('--port (a listener flag) replaces the defaults; --host applies in any order', () => {
  const a = config(['--port', '0', '--host', '0.0.0.0']);
  const b = config(['--host=0.0.0.0', '-p', '0']);
  assert.deepEqual(a.tcp, [{ host: '0.0.0.0', port: 0 }]);
  assert.deepEqual(b.tcp, a.tcp);
  assert.equal(a.defaultListeners, false);
});

test('every limit flag sets its field', () => {
  const c = config([
    '--max-keepalive', '60', '--max-packet-size', '1000', '--max-inflight', '5', '--max-queued', '7',
    '--max-queued-bytes', '999', '--max-connections', '3', '--sys-interval', '0', '--max-output-buffer', '4096', '-v', '--memory',
  ]);
  assert.equal(c.maxKeepalive, 60);
  assert.equal(c.maxPacketSize, 1000);
  assert.equal(c.maxInflight, 5);
  assert.equal(c.maxQueued, 7);
  assert.equal(c.maxQueuedBytes, 999);
  assert.equal(c.maxConnections, 3);
  assert.equal(c.sysInterval, 0);
  assert.equal(c.maxOutputBuffer, 4096);
  assert.equal(c.verbose, true);
});

test('a bad value fails naming the flag', () => {
  for (const [argv, flag] of [
    [['--port', 'abc'], '--port'],
    [['--port', '70000'], '--port'],
    [['--max-inflight', '0'], '--max-inflight'],
    [['--sys-interval=-1'], '--sys-interval'],
    [['--max-keepalive'], '--max-keepalive'],
  ] as const) {
    const err = flagError([...argv]);
    assert.equal(err.flag, flag);
    assert.ok(err.message.startsWith(`${flag}: `), err.message);
    assert.ok(!err.message.includes('\n'));
  }
  assert.equal(flagError(['--bogus']).code, 'UNKNOWN_FLAG');
  assert.equal(flagError(['--port']).code, 'MISSING_VALUE');
});

test('--help lists every flag', () => {
  assert.deepEqual(parseBrokerFlags(['--help']), { help: true });
  const help = brokerHelp();
  for (const f of ['--host', '--port', '--memory', '--max-keepalive', '--max-packet-size', '--max-inflight', '--max-queued', '--max-queued-bytes', '--max-connections', '--sys-interval', '-v']) {
    assert.ok(help.includes(f), f);
  }
});

test('the command-line defaults and the embedded broker defaults agree', () => {
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof typeof DEFAULT_LIMITS)[]) {
    if (key in DEFAULT_CONFIG) assert.equal((DEFAULT_CONFIG as unknown as Record<string, number>)[key], DEFAULT_LIMITS[key], key);
  }
  assert.equal(DEFAULT_CONFIG.sysInterval, DEFAULT_SYS_INTERVAL);
});
