// `glassmq passwd`: manage a mosquitto-compatible password file, with mosquitto_passwd's options and exit
// codes. It writes `$7$` (PBKDF2-SHA512, 101 iterations, 12-byte salt) lines exactly as mosquitto_passwd 2.0
// does, so the same file works in mosquitto and in glassmq.
import { chmodSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createHash, randomBytes } from 'node:crypto';
import { createPbkdf2Hash, MAX_PBKDF2_ITERATIONS, MOSQUITTO_PBKDF2_ITERATIONS, MOSQUITTO_SALT_BYTES, SHA512_BYTES } from '../auth/password-hash.js';
import { setPasswordLine, splitLines, usernameProblem } from '../auth/password-file.js';

const EXIT_OK = 0;
const EXIT_ERROR = 1;
/** mosquitto_passwd exits 2 when the two typed passwords differ. */
const EXIT_MISMATCH = 2;
/** New password files are readable by their owner only. */
const NEW_FILE_MODE = 0o600;

const USAGE = `Usage: glassmq passwd [-H sha512 | -H sha512-pbkdf2] [-I iterations] [-c | -D] FILE USER
       glassmq passwd [-H sha512 | -H sha512-pbkdf2] [-I iterations] [-c] -b FILE USER PASSWORD
       glassmq passwd -U FILE
 -b  batch mode: the password is taken from the command line
 -c  create a new password file (an existing one is overwritten)
 -D  delete USER from the file
 -H  hash to write: sha512-pbkdf2 ($7$, the default) or sha512 ($6$, for mosquitto 1.6 and older)
 -I  PBKDF2 iterations (default ${MOSQUITTO_PBKDF2_ITERATIONS}, as mosquitto_passwd)
 -U  replace plain-text passwords in FILE with hashes
Without -b the password is asked for twice on the terminal (or read as two lines from standard input).`;

interface Options {
  batch: boolean;
  create: boolean;
  remove: boolean;
  update: boolean;
  hash: 'sha512-pbkdf2' | 'sha512';
  iterations: number;
  positional: string[];
}

function parseArgs(argv: string[]): Options | string {
  const o: Options = { batch: false, create: false, remove: false, update: false, hash: 'sha512-pbkdf2', iterations: MOSQUITTO_PBKDF2_ITERATIONS, positional: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-b') o.batch = true;
    else if (arg === '-c') o.create = true;
    else if (arg === '-D') o.remove = true;
    else if (arg === '-U') o.update = true;
    else if (arg === '-H') {
      const value = argv[++i];
      if (value !== 'sha512-pbkdf2' && value !== 'sha512') return `unknown hash type '${value ?? ''}' (use sha512-pbkdf2 or sha512)`;
      o.hash = value;
    } else if (arg === '-I') {
      const value = Number(argv[++i]);
      if (!Number.isInteger(value) || value < 1 || value > MAX_PBKDF2_ITERATIONS) return `-I needs an iteration count 1..${MAX_PBKDF2_ITERATIONS}`;
      o.iterations = value;
    } else if (arg.startsWith('-') && arg !== '-') return `unknown option '${arg}'`;
    else o.positional.push(arg);
  }
  if ([o.create, o.remove, o.update].filter(Boolean).length > 1) return '-c, -D and -U cannot be combined';
  return o;
}

async function hashFor(password: string, o: Options): Promise<string> {
  const bytes = Buffer.from(password, 'utf8');
  if (o.hash === 'sha512-pbkdf2') return createPbkdf2Hash(bytes, o.iterations);
  const salt = randomBytes(MOSQUITTO_SALT_BYTES);
  const digest = createHash('sha512').update(bytes).update(salt).digest();
  if (digest.length !== SHA512_BYTES) throw new Error('unexpected SHA-512 length');
  return `$6$${salt.toString('base64')}$${digest.toString('base64')}`;
}

/** Reads one line without echo from a terminal, or one plain line from a pipe. */
function readSecret(prompt: string, lines: AsyncIterator<string> | null): Promise<string | null> {
  const stdin = process.stdin;
  if (!stdin.isTTY || lines) {
    return (lines ?? pipedLines()).next().then((r) => (r.done ? null : r.value));
  }
  // Echo goes off before the prompt shows: whoever types after seeing it must not see their password.
  stdin.setRawMode(true);
  process.stderr.write(prompt);
  return new Promise((resolve) => {
    let typed = '';
    stdin.resume();
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004' || ch === '\u0003') {
          stdin.setRawMode(false);
          stdin.pause();
          stdin.off('data', onData);
          process.stderr.write('\n');
          resolve(ch === '\u0003' ? null : typed);
          return;
        }
        if (ch === '\u007f' || ch === '\b') typed = [...typed].slice(0, -1).join('');
        else typed += ch;
      }
    };
    stdin.on('data', onData);
  });
}

let piped: AsyncIterator<string> | null = null;
function pipedLines(): AsyncIterator<string> {
  piped ??= createInterface({ input: process.stdin, terminal: false })[Symbol.asyncIterator]();
  return piped;
}

async function askPassword(): Promise<string | number> {
  const lines = process.stdin.isTTY ? null : pipedLines();
  if (lines) process.stderr.write('Password: \n');
  const first = await readSecret('Password: ', lines);
  if (lines) process.stderr.write('Reenter password: \n');
  const second = first === null ? null : await readSecret('Reenter password: ', lines);
  if (first === null || second === null) {
    console.error('Error: no password given.');
    return EXIT_ERROR;
  }
  if (first !== second) {
    console.error('Error: Passwords do not match.');
    return EXIT_MISMATCH;
  }
  return first;
}

/** Replaces the file in one step, keeping an existing file's permissions. */
function writeAtomically(file: string, text: string): void {
  const mode = existsSync(file) ? statSync(file).mode & 0o777 : NEW_FILE_MODE;
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, file);
}

function readExisting(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    console.error(`Error: Unable to open password file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}.`);
    return null;
  }
}

async function upgradePlainText(file: string, o: Options): Promise<number> {
  const text = readExisting(file);
  if (text === null) return EXIT_ERROR;
  const out: string[] = [];
  for (const line of splitLines(text)) {
    const colon = line.indexOf(':');
    if (line.startsWith('#') || colon < 0 || line.slice(colon + 1).startsWith('$')) out.push(line);
    else out.push(`${line.slice(0, colon)}:${await hashFor(line.slice(colon + 1), o)}`);
  }
  writeAtomically(file, out.length > 0 ? `${out.join('\n')}\n` : '');
  return EXIT_OK;
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return EXIT_OK;
  }
  const parsed = parseArgs(argv);
  if (typeof parsed === 'string') {
    console.error(`Error: ${parsed}\n\n${USAGE}`);
    return EXIT_ERROR;
  }
  const o = parsed;
  if (o.update) return o.positional.length === 1 ? upgradePlainText(o.positional[0]!, o) : (console.error(USAGE), EXIT_ERROR);
  const wanted = o.batch && !o.remove ? 3 : 2;
  if (o.positional.length !== wanted) {
    console.error(`Error: expected ${wanted === 3 ? 'FILE USER PASSWORD' : 'FILE USER'}.\n\n${USAGE}`);
    return EXIT_ERROR;
  }
  const [file, username, batchPassword] = o.positional as [string, string, string | undefined];
  const problem = usernameProblem(username);
  if (problem) {
    console.error(`Error: ${problem}.`);
    return EXIT_ERROR;
  }
  const existing = o.create ? '' : readExisting(file);
  if (existing === null) return EXIT_ERROR;

  if (o.remove) {
    const { text, found } = setPasswordLine(existing, username, null);
    if (!found) {
      console.error(`Warning: User ${username} not found in password file.`);
      return EXIT_ERROR;
    }
    writeAtomically(file, text);
    return EXIT_OK;
  }
  const password = batchPassword ?? (await askPassword());
  if (typeof password === 'number') return password;
  writeAtomically(file, setPasswordLine(existing, username, await hashFor(password, o)).text);
  return EXIT_OK;
}
