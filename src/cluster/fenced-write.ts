// One turn's session writes as one Lua script that first checks this node was not reaped. A node taken for dead
// (frozen, or cut off from Redis, for longer than its alive key lives) has its sessions adopted by a survivor; if it
// then comes back and wrote its copies of them, it would undo the adoption (two owners, queues overwritten). The
// survivor marks the node reaped before adopting (keys.reaped); every write of the node checks the mark in the same
// atomic step, so from that moment none of its session writes lands. The node learns it from the reply (or its next
// heartbeat), drops those sessions without writing, and joins again (redis-bus.ts).
import type { Redis } from 'ioredis';
import type { Command } from './session-commands.js';

/** The reply when the node was reaped: nothing was written. */
export const FENCED = 'FENCED';
const COMMAND = 'glassmqFencedWrite';

// KEYS[1]: this node's reaped mark. ARGV: for each command, its argument count, then its arguments. Each command
// runs with pcall, as in a MULTI (one refused command does not stop the others); their errors are returned.
const SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return '${FENCED}' end
local errors = {}
local i = 1
while i <= #ARGV do
  local count = tonumber(ARGV[i])
  local reply = redis.pcall(unpack(ARGV, i + 1, i + count))
  if type(reply) == 'table' and reply.err then errors[#errors + 1] = reply.err end
  i = i + count + 1
end
return errors
`;

type FencedWrite = (reapedKey: string, ...args: (string | number | Buffer)[]) => Promise<string | string[]>;

/** Defines the script on the connection once (before its first use in another turn: ioredis issue #1931). */
export function fencedWrite(redis: Redis): FencedWrite {
  const r = redis as unknown as Record<string, FencedWrite | undefined>;
  if (!r[COMMAND]) redis.defineCommand(COMMAND, { numberOfKeys: 1, lua: SCRIPT });
  return r[COMMAND]!.bind(redis);
}

/** The script's arguments for `cmds`: each command's length, then the command. */
export function scriptArgs(cmds: readonly Command[]): (string | number | Buffer)[] {
  const out: (string | number | Buffer)[] = [];
  for (const c of cmds) {
    out.push(c.length);
    for (const a of c) out.push(a);
  }
  return out;
}
