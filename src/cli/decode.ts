// `glassmq decode <hex>`: dissect MQTT packet bytes copied from Wireshark, a log or a document.
import {
  ProtocolError, dissectPackets, dissectionToJSON, parseHex, renderHexDump, renderTree, type ProtocolVersion,
} from '../protocol/index.js';

const EXIT_MALFORMED = 1;
const EXIT_USAGE = 2;

const USAGE = `Usage: glassmq decode [options] [hex...]

Dissects MQTT packets given as hex (argument, or stdin when none): "100c00044d515454040200050000",
with or without spaces, colons, 0x prefixes or newlines. Several packets in a row are dissected in order.

Options:
  --protocol V     version for packets other than CONNECT: 3 (3.1), 4 (3.1.1, default), 5 (5.0);
                   also accepts 31, 311, 50, 3.1, 3.1.1, 5.0, mqttv31, mqttv311, mqttv5
  --hex            annotated hex dump instead of the tree
  --json           JSON instead of the tree
  --show-secrets   show the CONNECT password instead of ********
  -h, --help       this text

Exit status: 0 decoded, 1 a packet is malformed (the partial dissection is printed), 2 bad hex or usage.`;

const VERSION_ALIASES: Readonly<Record<string, ProtocolVersion>> = {
  3: 3, 31: 3, '3.1': 3, mqttv31: 3,
  4: 4, 311: 4, '3.1.1': 4, mqttv311: 4,
  5: 5, 50: 5, '5.0': 5, mqttv5: 5, mqttv50: 5,
};

interface Options {
  version: ProtocolVersion;
  format: 'tree' | 'hex' | 'json';
  showSecrets: boolean;
  hex: string[];
}

function parseArgs(argv: string[]): Options | string {
  const o: Options = { version: 4, format: 'tree', showSecrets: false, hex: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--protocol' || a === '-V' || a.startsWith('--protocol=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      const version = v === undefined ? undefined : VERSION_ALIASES[v.toLowerCase()];
      if (version === undefined) return `unknown protocol version '${v ?? ''}' (use 3, 4 or 5)`;
      o.version = version;
    } else if (a === '--hex') {
      o.format = 'hex';
    } else if (a === '--json') {
      o.format = 'json';
    } else if (a === '--show-secrets') {
      o.showSecrets = true;
    } else if (a.startsWith('--')) {
      return `unknown option '${a}'`;
    } else {
      o.hex.push(a);
    }
  }
  return o;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const opts = parseArgs(argv);
  if (typeof opts === 'string') {
    console.error(`glassmq decode: ${opts}`);
    return EXIT_USAGE;
  }
  const text = opts.hex.length > 0 ? opts.hex.join(' ') : await readStdin();
  let bytes: Buffer;
  try {
    bytes = parseHex(text);
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    console.error(`glassmq decode: bad hex: ${err.message.replace(/^INVALID_HEX: /, '')}`);
    return EXIT_USAGE;
  }
  const dissections = dissectPackets(bytes, opts.version, { showSecrets: opts.showSecrets });
  if (opts.format === 'json') {
    console.log(JSON.stringify(dissections.map(dissectionToJSON), null, 2));
  } else {
    const render = opts.format === 'hex' ? renderHexDump : renderTree;
    console.log(dissections.map(render).join('\n\n'));
  }
  return dissections.some((d) => d.error) ? EXIT_MALFORMED : 0;
}
