#!/usr/bin/env node
// `glassmq <command>`: each command lives in its own module and is loaded only when asked for.
import { VERSION } from '../version.js';

type CommandModule = { run(argv: string[]): Promise<number | void> };

const COMMANDS: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  broker: { summary: 'run the MQTT broker', load: () => import('./broker.js') },
  pub: { summary: 'publish messages (mosquitto_pub options)', load: () => import('./pub.js') },
  sub: { summary: 'subscribe and print messages (mosquitto_sub options)', load: () => import('./sub.js') },
  rr: { summary: 'MQTT 5 request/response (mosquitto_rr options)', load: () => import('./rr.js') },
  decode: { summary: 'dissect MQTT packet bytes given as hex', load: () => import('./decode.js') },
  dissect: { summary: 'dissect MQTT in a pcap / pcapng capture', load: () => import('./dissect.js') },
  trace: { summary: "stream a running broker's live packet trace", load: () => import('./trace.js') },
  passwd: { summary: 'manage a mosquitto-compatible password file', load: () => import('./passwd.js') },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `glassmq ${VERSION} — an MQTT broker you can see through\n\nUsage: glassmq <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun 'glassmq <command> --help' for a command's options.`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 1;
  }
  if (name === '--version') {
    console.log(VERSION);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`glassmq: unknown command '${name}'\n\n${usage()}`);
    return 1;
  }
  const mod = await command.load();
  return (await mod.run(rest)) ?? 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`glassmq: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
