// Where glassmq keeps its database when --data-dir is not given: $XDG_DATA_HOME/glassmq, else
// ~/.local/share/glassmq (the XDG Base Directory default), the same place whatever directory it is started from.
import { homedir } from 'node:os';
import { join } from 'node:path';

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_DATA_HOME;
  const base = xdg && xdg.startsWith('/') ? xdg : join(homedir(), '.local', 'share');
  return join(base, 'glassmq');
}
