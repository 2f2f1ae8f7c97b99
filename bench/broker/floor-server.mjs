// The floor of a Node.js broker: a minimal MQTT 3.1.1 relay (CONNACK, SUBACK, every PUBLISH forwarded as is to
// every subscriber) with no sessions, topics or stats, to tell what any broker on Node's net.Socket can reach in
// the latency scenario from what glassmq adds. Not a broker: no topic matching, no QoS > 0, no error handling.
//   taskset -c 1 node bench/broker/floor-server.mjs PORT [MODE]
//   node --import tsx bench/broker/run.ts --entry=bench/broker/floor-server.mjs ...   (mode from FLOOR_MODE)
// Modes (read path / write path):
//   direct      'data' event (Readable.push)        / socket.write
//   cork        'data' event                        / cork, uncork on process.nextTick (glassmq before L)
//   onread      handle reads into a static buffer   / socket.write
//   raw-write   'data' event                        / handle.writeBuffer with our own WriteWrap
//   onread-raw  static buffer                       / handle.writeBuffer
// "onread" is what `net.connect({ onread })` does, applied to an accepted socket: the server has no such
// option, so the same three per-socket fields are set (found by their symbol descriptions) and the handle is told
// to read into the buffer. Reads then skip Buffer allocation, Readable.push and the 'data' emit.
import net from 'node:net';

const portFlag = process.argv.indexOf('--port');
const port = Number(portFlag > 0 ? process.argv[portFlag + 1] : (process.argv[2] ?? 1883));
const mode = (portFlag > 0 ? undefined : process.argv[3]) ?? process.env.FLOOR_MODE ?? 'direct';
const READ_ONREAD = mode === 'onread' || mode === 'onread-raw';
const WRITE_RAW = mode === 'raw-write' || mode === 'onread-raw';
const subscribers = new Set();
const CONNACK = Buffer.from([0x20, 2, 0, 0]);

// process.binding is deprecated but still exposes stream_wrap in Node 20: the same WriteWrap and shared state
// array that lib/internal/stream_base_commons.js uses.
const { WriteWrap, streamBaseState, kLastWriteWasAsync } = WRITE_RAW ? process.binding('stream_wrap') : {};
function afterRawWrite() {}

function uncork(socket) {
  socket.corked = false;
  socket.uncork();
}

function send(socket, buf) {
  if (WRITE_RAW) {
    const req = new WriteWrap();
    req.handle = socket._handle;
    req.oncomplete = afterRawWrite;
    req.async = false;
    const err = socket._handle.writeBuffer(req, buf);
    // the kernel took it unless the write went async; the floor does not queue (a broker would)
    if (err === 0 && streamBaseState[kLastWriteWasAsync]) req.buffer = buf;
    return;
  }
  if (mode === 'cork') {
    if (!socket.corked) {
      socket.corked = true;
      socket.cork();
      process.nextTick(uncork, socket);
    }
  }
  socket.write(buf);
}

function onPacket(socket, buf, start, bodyStart, end) {
  const type = buf[start] >> 4;
  if (type === 1) send(socket, CONNACK);
  else if (type === 8) {
    subscribers.add(socket);
    send(socket, Buffer.from([0x90, 3, buf[bodyStart], buf[bodyStart + 1], 0]));
  } else if (type === 3) {
    const packet = buf.subarray(start, end);
    for (const s of subscribers) send(s, packet);
  }
}

/** Splits a chunk into packets; returns the offset of the first incomplete one. */
function scan(socket, buf, length) {
  let pos = 0;
  while (pos + 2 <= length) {
    let len = 0;
    let mult = 1;
    let i = pos + 1;
    for (; i < length && i < pos + 5; i++) {
      len += (buf[i] & 0x7f) * mult;
      mult *= 128;
      if ((buf[i] & 0x80) === 0) break;
    }
    const end = i + 1 + len;
    if (i >= length || end > length) break;
    onPacket(socket, buf, pos, i + 1, end);
    pos = end;
  }
  return pos;
}

const symbolNamed = (obj, name) => Object.getOwnPropertySymbols(obj).find((s) => s.description === name);

function useStaticBuffer(socket) {
  const kBuffer = symbolNamed(socket, 'kBuffer');
  const kBufferCb = symbolNamed(socket, 'kBufferCb');
  if (!kBuffer || !kBufferCb || !socket._handle?.useUserBuffer) throw new Error('this Node has no onread fields');
  const staticBuf = Buffer.allocUnsafeSlow(64 * 1024);
  let rest = null;
  socket[kBuffer] = staticBuf;
  socket[kBufferCb] = (nread, buf) => {
    if (rest === null) {
      const pos = scan(socket, buf, nread);
      if (pos < nread) rest = Buffer.from(buf.subarray(pos, nread));
    } else {
      const joined = Buffer.concat([rest, buf.subarray(0, nread)]);
      rest = null;
      const pos = scan(socket, joined, joined.length);
      if (pos < joined.length) rest = joined.subarray(pos);
    }
  };
  socket._handle.useUserBuffer(staticBuf);
}

const server = net.createServer({ noDelay: true }, (socket) => {
  socket.on('error', () => undefined);
  socket.on('close', () => subscribers.delete(socket));
  if (READ_ONREAD) {
    useStaticBuffer(socket);
    // EOF still goes through push(null): the socket must be flowing for 'end' and 'close'
    socket.resume();
    return;
  }
  let rest = null;
  socket.on('data', (chunk) => {
    const buf = rest ? Buffer.concat([rest, chunk]) : chunk;
    rest = null;
    const pos = scan(socket, buf, buf.length);
    if (pos < buf.length) rest = Buffer.from(buf.subarray(pos));
  });
});
server.listen(port, '127.0.0.1', () => console.log(`floor server (${mode}) on 127.0.0.1:${port}`));
process.on('SIGTERM', () => process.exit(0));
