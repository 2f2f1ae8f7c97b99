// `glassmq rr`: MQTT 5 request/response (mosquitto_rr's options): subscribe to the response topic, publish the
// request with Response Topic and Correlation Data, print the first matching response.
import { randomBytes } from 'node:crypto';
import type { IPublishPacket } from 'mqtt';
import type { OptionDef, ParsedArgs } from './client/args.js';
import { onInterrupt, runCommand, type CommandSpec, type Output } from './client/command.js';
import { closeConnection, openConnection, watchConnection } from './client/connection.js';
import { CliError, EXIT } from './client/errors.js';
import { compileFormat, renderMessage, type OutputStyle } from './client/format.js';
import { parseInteger, parseQos, resolveConnection } from './client/options.js';
import { loadPayload, payloadSource } from './client/payload.js';
import { checkPublishTopic, publishMessage, type PublishSettings } from './client/publish.js';
import { subscribeAll, toReceivedMessage } from './client/subscribe.js';

const OPTIONS: readonly OptionDef[] = [
  { key: 'topic', names: ['-t', '--topic'], kind: 'value', arg: 'TOPIC', help: 'request topic' },
  { key: 'responseTopic', names: ['-e', '--response-topic'], kind: 'value', arg: 'TOPIC', help: 'response topic (subscribed, and sent as Response Topic)' },
  { key: 'qos', names: ['-q', '--qos'], kind: 'value', arg: 'QOS', help: 'QoS of the request and the subscription (default 0)' },
  { key: 'retain', names: ['-r', '--retain'], kind: 'flag', help: 'retain the request' },
  { key: 'message', names: ['-m', '--message'], kind: 'value', arg: 'TEXT', help: 'request payload' },
  { key: 'file', names: ['-f', '--file'], kind: 'value', arg: 'FILE', help: 'request payload: the contents of FILE' },
  { key: 'stdin', names: ['-s', '--stdin-file'], kind: 'flag', help: 'request payload: all of stdin' },
  { key: 'null', names: ['-n', '--null-message'], kind: 'flag', help: 'zero-length request payload' },
  { key: 'timeout', names: ['-W'], kind: 'value', arg: 'SECONDS', help: 'give up (status 27) after SECONDS' },
  { key: 'noRetained', names: ['-R'], kind: 'flag', help: 'ignore stale (retained) responses' },
  { key: 'verbose', names: ['-v', '--verbose'], kind: 'flag', help: 'print "topic payload"' },
  { key: 'noEol', names: ['-N'], kind: 'flag', help: 'no newline after the response' },
  { key: 'format', names: ['-F'], kind: 'value', arg: 'FORMAT', help: 'output format, as glassmq sub -F' },
  { key: 'pretty', names: ['--pretty'], kind: 'flag', help: 'indent %j / %J output' },
];

export const RR_SPEC: CommandSpec = {
  name: 'rr',
  summary: 'MQTT 5 request/response (mosquitto_rr options)',
  usage: 'glassmq rr {-h host -p port | -L URL | --unix path} -t request-topic -e response-topic {-m message | -f file | -s | -n} [options]',
  options: OPTIONS,
};

const CORRELATION_BYTES = 16;
const MAX_SECONDS = 0x7fffffff;
const MS_PER_SECOND = 1000;

async function requestResponse(args: ParsedArgs, output: Output): Promise<number> {
  const cfg = resolveConnection(args, 5);
  const topic = args.values.get('topic') ?? cfg.urlTopic;
  const responseTopic = args.values.get('responseTopic');
  const source = payloadSource(args);
  if (topic === undefined || source === undefined) throw new CliError('MISSING_OPTION', 'Error: Both topic and message must be supplied.');
  if (responseTopic === undefined) throw new CliError('MISSING_OPTION', 'Error: A response topic must be given with -e.');
  if (source.kind === 'lines') throw new CliError('BAD_COMBINATION', 'Error: -l cannot be used with rr.');
  checkPublishTopic(topic);
  checkPublishTopic(responseTopic); // [MQTT-3.3.2-14] the Response Topic is a Topic Name: no wildcards
  const qos = parseQos(args.values.get('qos') ?? '0');
  const timeoutText = args.values.get('timeout');
  const timeoutMs = timeoutText === undefined ? undefined : parseInteger(timeoutText, '-W', 1, MAX_SECONDS) * MS_PER_SECOND;
  const style: OutputStyle = { verbose: args.flags.has('verbose'), noEol: args.flags.has('noEol'), pretty: args.flags.has('pretty') };
  const format = args.values.get('format');
  if (format !== undefined) style.format = compileFormat(format);
  const payload = await loadPayload(source);

  const correlation = randomBytes(CORRELATION_BYTES);
  const settings: PublishSettings = { qos, retain: args.flags.has('retain') };
  if (cfg.version === 5) {
    settings.properties = { ...(cfg.properties.publish ?? {}), responseTopic };
    settings.properties.correlationData ??= correlation;
  }
  const expected = settings.properties?.correlationData;

  const { client } = await openConnection(cfg, output.debug);
  const watch = watchConnection(client, cfg);
  let timer: NodeJS.Timeout | undefined;
  let stopOnSignal: (() => void) | undefined;
  let onMessage: ((topic: string, payload: Buffer, packet: IPublishPacket) => void) | undefined;
  try {
    const answered = new Promise<number>((resolve, reject) => {
      stopOnSignal = onInterrupt(() => resolve(EXIT.error)); // interrupted before any response
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          output.error('Timed out');
          resolve(EXIT.timeout);
        }, timeoutMs);
      }
      let done = false;
      onMessage = (t, body, packet) => {
        if (done || (args.flags.has('noRetained') && packet.retain)) return;
        const cd = (packet.properties as { correlationData?: Buffer } | undefined)?.correlationData;
        if (expected && cd && !expected.equals(cd)) return; // a response to someone else's request
        done = true;
        output.out(renderMessage(toReceivedMessage(t, body, packet, client.options.clientId ?? cfg.clientId), style, output.error));
        resolve(EXIT.ok);
      };
      client.on('message', onMessage);
      (async () => {
        const sub = await subscribeAll(client, [responseTopic], { qos, ...(cfg.properties.subscribe ? { properties: cfg.properties.subscribe } : {}) }, cfg.version);
        if (sub.failed.length) throw new CliError('SUBSCRIBE_FAILED', `Error: Subscription to '${responseTopic}' was refused: ${sub.failed[0]!.reason}.`);
        await publishMessage(client, topic, payload, settings);
      })().catch(reject);
    });
    const code = await Promise.race([answered, watch.lost]);
    watch.dispose();
    await closeConnection(client, cfg);
    return code;
  } catch (err) {
    client.end(true);
    throw err;
  } finally {
    if (timer) clearTimeout(timer);
    stopOnSignal?.();
    if (onMessage) client.off('message', onMessage);
    watch.dispose();
  }
}

export function run(argv: string[]): Promise<number> {
  return runCommand(RR_SPEC, argv, requestResponse);
}
