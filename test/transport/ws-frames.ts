// A minimal RFC 6455 frame reader for tests: feed it one direction of a tapped WebSocket connection (HTTP
// upgrade first) and it returns whole frames with their payload unmasked.
export interface Frame {
  fin: boolean;
  opcode: number;
  masked: boolean;
  payload: Buffer;
}

export const OPCODE = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

export class FrameReader {
  private buf = Buffer.alloc(0);
  private inHttp = true;

  push(bytes: Buffer): Frame[] {
    this.buf = Buffer.concat([this.buf, bytes]);
    if (this.inHttp) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return [];
      this.buf = this.buf.subarray(end + 4);
      this.inHttp = false;
    }
    const frames: Frame[] = [];
    for (;;) {
      if (this.buf.length < 2) break;
      const b0 = this.buf[0]!;
      const b1 = this.buf[1]!;
      let len = b1 & 0x7f;
      let off = 2;
      if (len === 126) {
        if (this.buf.length < 4) break;
        len = this.buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) break;
        len = Number(this.buf.readBigUInt64BE(2));
        off = 10;
      }
      const masked = (b1 & 0x80) !== 0;
      const keyOff = off;
      if (masked) off += 4;
      if (this.buf.length < off + len) break;
      let payload = Buffer.from(this.buf.subarray(off, off + len));
      if (masked) {
        const key = this.buf.subarray(keyOff, keyOff + 4);
        payload = Buffer.from(payload.map((b, i) => b ^ key[i % 4]!));
      }
      frames.push({ fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, masked, payload });
      this.buf = this.buf.subarray(off + len);
    }
    return frames;
  }
}
