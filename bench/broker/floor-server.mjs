// The floor of a Node.js broker: a minimal MQTT 3.1.1 relay (CONNACK, SUBACK, every PUBLISH forwarded as is to
// every subscriber) with no sessions, topics or stats, to tell what any broker on Node's net.Socket can reach in
// the latency scenario from what glassmq adds. Not a broker: no topic matching, no QoS > 0, no error handling.
//   taskset -c 1 node bench/broker/floor-server.mjs PORT [direct|cork]
import net from 'node:net';

const port = Number(process.argv[2] ?? 1883);
const mode = process.argv[3] ?? 'direct';
const subscribers = new Set();
const CONNACK = Buffer.from([0x20, 2, 0, 0]);

function uncork(socket) {
  socket.corked = false;
  socket.uncork();
}

function send(socket, buf) {
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

const server = net.createServer({ noDelay: true }, (socket) => {
  let rest = null;
  socket.on('error', () => undefined);
  socket.on('close', () => subscribers.delete(socket));
  socket.on('data', (chunk) => {
    let buf = rest ? Buffer.concat([rest, chunk]) : chunk;
    rest = null;
    let pos = 0;
    while (pos + 2 <= buf.length) {
      let len = 0;
      let mult = 1;
      let i = pos + 1;
      for (; i < buf.length && i < pos + 5; i++) {
        len += (buf[i] & 0x7f) * mult;
        mult *= 128;
        if ((buf[i] & 0x80) === 0) break;
      }
      const end = i + 1 + len;
      if (i >= buf.length || end > buf.length) break;
      onPacket(socket, buf, pos, i + 1, end);
      pos = end;
    }
    if (pos < buf.length) rest = Buffer.from(buf.subarray(pos));
  });
});
server.listen(port, '127.0.0.1', () => console.log(`floor server (${mode}) on 127.0.0.1:${port}`));
process.on('SIGTERM', () => process.exit(0));
