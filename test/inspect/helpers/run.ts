// Runs the inspector over an in-memory capture and collects what it reports.
import { BufferSource } from '../../../src/inspect/byte-source.js';
import { readCapture, type CaptureEvent } from '../../../src/inspect/capture-reader.js';
import { CaptureDissector, type DissectNoteEvent, type MqttPacketEvent, type DissectorOptions } from '../../../src/inspect/capture-dissector.js';
import { decodeCaptured, packetJSON } from '../../../src/inspect/packet-json.js';
import type { ConnectionInfo } from '../../../src/inspect/connection.js';

export function events(file: Buffer): CaptureEvent[] {
  return [...readCapture(new BufferSource(file))];
}

export interface Dissected {
  packets: MqttPacketEvent[];
  json: Record<string, any>[];
  notes: DissectNoteEvent[];
  closed: ConnectionInfo[];
}

export function dissectBuffer(file: Buffer, opts: DissectorOptions = {}): Dissected {
  const out: Dissected = { packets: [], json: [], notes: [], closed: [] };
  const d = new CaptureDissector({
    packet: (p) => {
      out.packets.push(p);
      out.json.push(packetJSON(p, decodeCaptured(p)));
    },
    note: (n) => out.notes.push(n),
    connectionClosed: (c) => out.closed.push({ ...c }),
  }, opts);
  for (const ev of readCapture(new BufferSource(file))) d.handle(ev);
  d.finish();
  return out;
}
