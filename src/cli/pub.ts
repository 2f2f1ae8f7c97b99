// `glassmq pub`: publish one message, a repeated message, or one message per stdin line (mosquitto_pub's options).
import type { OptionDef, ParsedArgs } from './client/args.js';
import { onInterrupt, runCommand, type CommandSpec, type Output } from './client/command.js';
import { closeConnection, openConnection, watchConnection } from './client/connection.js';
import { CliError, EXIT } from './client/errors.js';
import { parseInteger, parseQos, resolveConnection } from './client/options.js';
import { loadPayload, payloadSource, stdinLines } from './client/payload.js';
import { checkPublishTopic, publishMessage, type PublishSettings } from './client/publish.js';

const OPTIONS: readonly OptionDef[] = [
  { key: 'topic', names: ['-t', '--topic'], kind: 'value', arg: 'TOPIC', help: 'topic to publish to' },
  { key: 'qos', names: ['-q', '--qos'], kind: 'value', arg: 'QOS', help: 'QoS 0, 1 or 2 (default 0)' },
  { key: 'retain', names: ['-r', '--retain'], kind: 'flag', help: 'retain the message' },
  { key: 'message', names: ['-m', '--message'], kind: 'value', arg: 'TEXT', help: 'payload from the command line' },
  { key: 'file', names: ['-f', '--file'], kind: 'value', arg: 'FILE', help: 'payload: the contents of FILE' },
  { key: 'lines', names: ['-l', '--stdin-line'], kind: 'flag', help: 'one message per line of stdin' },
  { key: 'stdin', names: ['-s', '--stdin-file'], kind: 'flag', help: 'payload: all of stdin' },
  { key: 'null', names: ['-n', '--null-message'], kind: 'flag', help: 'send a zero-length payload' },
  { key: 'repeat', names: ['--repeat'], kind: 'value', arg: 'N', help: 'publish the message N times (-m, -f, -s, -n)' },
  { key: 'repeatDelay', names: ['--repeat-delay'], kind: 'value', arg: 'SECONDS', help: 'wait between repeats (fractions allowed)' },
];

export const PUB_SPEC: CommandSpec = {
  name: 'pub',
  summary: 'publish MQTT messages (mosquitto_pub options)',
  usage: 'glassmq pub {-h host -p port | -L URL | --unix path} -t topic {-m message | -f file | -l | -s | -n} [options]',
  options: OPTIONS,
};

const MAX_REPEAT = 0x7fffffff;

function parseDelay(text: string): number {
  const seconds = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !Number.isFinite(seconds)) {
    throw new CliError('BAD_VALUE', `Error: Invalid --repeat-delay '${text}' (expected seconds, e.g. 0.5).`);
  }
  return seconds * 1000;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function publish(args: ParsedArgs, output: Output): Promise<number> {
  const cfg = resolveConnection(args, 4);
  const topic = args.values.get('topic') ?? cfg.urlTopic;
  const source = payloadSource(args);
  if (topic === undefined || source === undefined) throw new CliError('MISSING_OPTION', 'Error: Both topic and message must be supplied.');
  checkPublishTopic(topic);
  const settings: PublishSettings = { qos: parseQos(args.values.get('qos') ?? '0'), retain: args.flags.has('retain') };
  if (cfg.properties.publish) settings.properties = cfg.properties.publish;
  const repeatText = args.values.get('repeat');
  if (repeatText !== undefined && source.kind === 'lines') throw new CliError('BAD_COMBINATION', 'Error: --repeat cannot be used with -l.');
  const repeat = parseInteger(repeatText ?? '1', '--repeat', 1, MAX_REPEAT);
  const delayMs = parseDelay(args.values.get('repeatDelay') ?? '0');

  const payload = source.kind === 'lines' ? undefined : await loadPayload(source);
  const { client } = await openConnection(cfg, output.debug);
  const watch = watchConnection(client, cfg);
  let stopped = false;
  let interrupted: () => void = () => undefined;
  const interruption = new Promise<void>((resolve) => {
    interrupted = resolve;
  });
  const stopOnSignal = onInterrupt(() => {
    stopped = true;
    interrupted();
  });
  try {
    const work = (async () => {
      if (payload === undefined) {
        for await (const line of stdinLines()) {
          if (stopped) return;
          await publishMessage(client, topic, line, settings);
        }
        return;
      }
      for (let i = 0; i < repeat && !stopped; i++) {
        if (i > 0 && delayMs > 0) await sleep(delayMs);
        await publishMessage(client, topic, payload, settings);
      }
    })();
    work.catch(() => undefined); // a failure after the connection was lost is already reported by `lost`
    await Promise.race([work, watch.lost, interruption]);
  } catch (err) {
    client.end(true);
    throw err;
  } finally {
    if (source.kind === 'lines') process.stdin.destroy(); // stop reading: nothing more will be sent
    stopOnSignal();
    watch.dispose();
  }
  await closeConnection(client, cfg);
  return EXIT.ok;
}

export function run(argv: string[]): Promise<number> {
  return runCommand(PUB_SPEC, argv, publish);
}
