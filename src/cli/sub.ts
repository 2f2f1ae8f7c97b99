// `glassmq sub`: subscribe and print messages (mosquitto_sub's options, output formats and exit codes).
import type { IPublishPacket } from 'mqtt';
import type { OptionDef, ParsedArgs } from './client/args.js';
import { onInterrupt, runCommand, type CommandSpec, type Output } from './client/command.js';
import { closeConnection, openConnection, watchConnection } from './client/connection.js';
import { CliError, EXIT } from './client/errors.js';
import { compileFormat, renderMessage, type OutputStyle } from './client/format.js';
import { parseInteger, parseQos, resolveConnection, type ConnectionConfig } from './client/options.js';
import { publishMessage } from './client/publish.js';
import { checkTopicFilter, subscribeAll, toReceivedMessage, unsubscribeAll, type SubscribeSettings } from './client/subscribe.js';
import { topicMatches } from '../protocol/index.js';

const OPTIONS: readonly OptionDef[] = [
  { key: 'topic', names: ['-t', '--topic'], kind: 'list', arg: 'FILTER', help: 'topic filter to subscribe to (repeatable)' },
  { key: 'filterOut', names: ['-T', '--filter-out'], kind: 'list', arg: 'FILTER', help: 'do not print topics matching FILTER (repeatable)' },
  { key: 'unsubscribe', names: ['-U', '--unsubscribe'], kind: 'list', arg: 'FILTER', help: 'unsubscribe from FILTER (repeatable)' },
  { key: 'qos', names: ['-q', '--qos'], kind: 'value', arg: 'QOS', help: 'subscription QoS 0, 1 or 2 (default 0)' },
  { key: 'count', names: ['-C'], kind: 'value', arg: 'N', help: 'exit after printing N messages' },
  { key: 'exitAfterSub', names: ['-E'], kind: 'flag', help: 'exit once the subscriptions are acknowledged' },
  { key: 'timeout', names: ['-W'], kind: 'value', arg: 'SECONDS', help: 'exit (status 27) after SECONDS' },
  { key: 'noRetained', names: ['-R'], kind: 'flag', help: 'do not print stale (retained) messages' },
  { key: 'retainedOnly', names: ['--retained-only'], kind: 'flag', help: 'print only retained messages; exit at the first fresh one' },
  { key: 'removeRetained', names: ['--remove-retained'], kind: 'flag', help: 'clear each retained message received' },
  { key: 'retainAsPublished', names: ['--retain-as-published'], kind: 'flag', help: 'v5: keep the publisher\'s retain flag' },
  { key: 'retainHandling', names: ['--retain-handling'], kind: 'value', arg: 'MODE', help: 'v5: always|new|never (or 0|1|2): when to get retained messages' },
  { key: 'verbose', names: ['-v', '--verbose'], kind: 'flag', help: 'print "topic payload"' },
  { key: 'noEol', names: ['-N'], kind: 'flag', help: 'no newline after each message' },
  { key: 'format', names: ['-F'], kind: 'value', arg: 'FORMAT', help: 'output format (%t %p %x %j %J %q %r %m %l %I %U %P %C %D %E %F %R %S %A %i, @strftime, \\n)' },
  { key: 'pretty', names: ['--pretty'], kind: 'flag', help: 'indent %j / %J output' },
];

export const SUB_SPEC: CommandSpec = {
  name: 'sub',
  summary: 'subscribe and print MQTT messages (mosquitto_sub options)',
  usage: 'glassmq sub {-h host -p port | -L URL | --unix path} -t filter... [options]',
  options: OPTIONS,
};

const RETAIN_HANDLING: Readonly<Record<string, 0 | 1 | 2>> = { always: 0, '0': 0, new: 1, '1': 1, never: 2, '2': 2 };
const MAX_COUNT = 0x7fffffff;
const MS_PER_SECOND = 1000;

interface SubPlan {
  filters: string[];
  unsubscribe: string[];
  filterOut: string[];
  settings: SubscribeSettings;
  count?: number;
  timeoutMs?: number;
  exitAfterSub: boolean;
  noRetained: boolean;
  retainedOnly: boolean;
  removeRetained: boolean;
  style: OutputStyle;
}

function plan(args: ParsedArgs, cfg: ConnectionConfig): SubPlan {
  const version = cfg.version;
  const filters = [...(args.lists.get('topic') ?? []), ...(cfg.urlTopic !== undefined ? [cfg.urlTopic] : [])];
  const unsubscribe = [...(args.lists.get('unsubscribe') ?? [])];
  if (filters.length === 0 && unsubscribe.length === 0) throw new CliError('MISSING_OPTION', 'Error: You must specify a topic to subscribe to.');
  for (const f of [...filters, ...unsubscribe]) checkTopicFilter(f);
  const filterOut = [...(args.lists.get('filterOut') ?? [])];
  for (const f of filterOut) checkTopicFilter(f);
  const settings: SubscribeSettings = { qos: parseQos(args.values.get('qos') ?? '0') };
  if (cfg.properties.subscribe) settings.properties = cfg.properties.subscribe;
  if (args.flags.has('retainAsPublished') || args.values.has('retainHandling')) {
    if (version !== 5) throw new CliError('BAD_COMBINATION', 'Error: --retain-as-published and --retain-handling need MQTT v5 (-V 5).');
    settings.retainAsPublished = args.flags.has('retainAsPublished');
    const rh = args.values.get('retainHandling');
    if (rh !== undefined) {
      const mode = RETAIN_HANDLING[rh.toLowerCase()];
      if (mode === undefined) throw new CliError('BAD_VALUE', `Error: Invalid --retain-handling '${rh}' (use always, new or never).`);
      settings.retainHandling = mode;
    }
  }
  if (args.flags.has('noRetained') && args.flags.has('retainedOnly')) {
    throw new CliError('BAD_COMBINATION', 'Error: -R and --retained-only cannot be used together.');
  }
  const format = args.values.get('format');
  const p: SubPlan = {
    filters, unsubscribe, filterOut, settings,
    exitAfterSub: args.flags.has('exitAfterSub'),
    noRetained: args.flags.has('noRetained'),
    retainedOnly: args.flags.has('retainedOnly'),
    removeRetained: args.flags.has('removeRetained'),
    style: { verbose: args.flags.has('verbose'), noEol: args.flags.has('noEol'), pretty: args.flags.has('pretty') },
  };
  if (format !== undefined) p.style.format = compileFormat(format);
  const count = args.values.get('count');
  if (count !== undefined) p.count = parseInteger(count, '-C', 1, MAX_COUNT);
  const timeout = args.values.get('timeout');
  if (timeout !== undefined) p.timeoutMs = parseInteger(timeout, '-W', 1, MAX_COUNT) * MS_PER_SECOND;
  return p;
}

async function subscribe(args: ParsedArgs, output: Output): Promise<number> {
  const cfg = resolveConnection(args, 4);
  const p = plan(args, cfg);
  // Messages can arrive right after CONNACK (a resumed session): hold them until the printer below is ready.
  const early: [string, Buffer, IPublishPacket][] = [];
  let onMessage: ((topic: string, payload: Buffer, packet: IPublishPacket) => void) | undefined;
  const { client } = await openConnection(cfg, output.debug, (c) => {
    c.on('message', (topic: string, payload: Buffer, packet: IPublishPacket) => {
      if (onMessage) onMessage(topic, payload, packet);
      else early.push([topic, payload, packet]);
    });
  });
  const watch = watchConnection(client, cfg);
  let timer: NodeJS.Timeout | undefined;
  let stopOnSignal: (() => void) | undefined;
  const pending: Promise<void>[] = [];
  try {
    const finished = new Promise<number>((settle, reject) => {
      let done = false;
      const resolve = (code: number): void => {
        done = true;
        settle(code);
      };
      stopOnSignal = onInterrupt(() => resolve(EXIT.ok));
      if (p.timeoutMs !== undefined) {
        // mosquitto_sub: the timeout starts once connected, and ends the run with status 27 whatever was received
        timer = setTimeout(() => {
          output.error('Timed out');
          resolve(EXIT.timeout);
        }, p.timeoutMs);
      }
      let printed = 0;
      const handle = (topic: string, payload: Buffer, packet: IPublishPacket): void => {
        if (done) return; // -C / --retained-only already ended the run; the rest is not printed
        if (p.filterOut.some((f) => topicMatches(f, topic))) return;
        if (p.removeRetained && packet.retain && payload.length > 0) {
          pending.push(publishMessage(client, topic, Buffer.alloc(0), { qos: 0, retain: true }).catch(reject));
        }
        if (p.retainedOnly && !packet.retain) {
          resolve(EXIT.ok);
          return;
        }
        if (p.noRetained && packet.retain) return;
        output.out(renderMessage(toReceivedMessage(topic, payload, packet, client.options.clientId ?? cfg.clientId), p.style, output.error));
        printed++;
        if (p.count !== undefined && printed >= p.count) resolve(EXIT.ok);
      };
      onMessage = handle;
      for (const [t, body, packet] of early.splice(0)) handle(t, body, packet);
      (async () => {
        if (p.filters.length) {
          const result = await subscribeAll(client, p.filters, p.settings, cfg.version);
          for (const f of result.failed) output.error(`Error: Subscription to '${f.filter}' was refused: ${f.reason}.`);
          if (result.failed.length === p.filters.length) {
            reject(new CliError('SUBSCRIBE_FAILED', 'Error: All subscriptions were refused.'));
            return;
          }
        }
        if (p.unsubscribe.length) await unsubscribeAll(client, p.unsubscribe, cfg.properties.unsubscribe);
        if (p.exitAfterSub) resolve(EXIT.ok);
      })().catch(reject);
    });
    const code = await Promise.race([finished, watch.lost]);
    onMessage = () => undefined;
    await Promise.all(pending);
    watch.dispose();
    await closeConnection(client, cfg);
    return code;
  } catch (err) {
    client.end(true);
    throw err;
  } finally {
    if (timer) clearTimeout(timer);
    stopOnSignal?.();
    watch.dispose();
  }
}

export function run(argv: string[]): Promise<number> {
  return runCommand(SUB_SPEC, argv, subscribe);
}
