// Packets: the live trace (filter by client, topic filter and packet type). A selected packet shows its field
// tree next to its hex dump; selecting a field highlights its bytes. WebSocket clients show the frame layer too.
import { useMemo, useRef, useState } from 'preact/hooks';
import { clock } from '../format';
import { useEventStream } from '../live';
import type { FieldNode } from '../types';
import { toTracePacket, type TraceLayer, type TracePacket } from './trace-event';

const KEEP = 500;
const BYTES_PER_ROW = 16;
const TYPES = ['CONNECT', 'CONNACK', 'PUBLISH', 'PUBACK', 'PUBREC', 'PUBREL', 'PUBCOMP', 'SUBSCRIBE', 'SUBACK', 'UNSUBSCRIBE', 'UNSUBACK', 'PINGREQ', 'PINGRESP', 'DISCONNECT', 'AUTH'];

interface Selection {
  layer: number;
  offset: number;
  length: number;
  path: string;
}

function FieldTree({ fields, layer, path, selected, onSelect }: { fields: FieldNode[]; layer: number; path: string; selected: Selection | undefined; onSelect: (s: Selection) => void }) {
  return (
    <ul class="fields">
      {fields.map((f, i) => {
        const p = `${path}/${i}`;
        const active = selected?.layer === layer && selected.path === p;
        return (
          <li key={p}>
            <div class={`field ${active ? 'selected' : ''} ${f.error ? 'bad' : ''}`} data-field={f.name} data-offset={f.offset} data-length={f.length} onClick={() => onSelect({ layer, offset: f.offset, length: f.length, path: p })}>
              <span class="field-name">{f.name}</span>
              {f.display !== undefined || f.value !== undefined ? <span class="field-value mono">{f.display ?? JSON.stringify(f.value)}</span> : null}
              {f.bits && <span class="field-bits mono muted">{f.bits}</span>}
              <span class="field-span muted">
                [{f.offset}
                {f.length > 1 ? `–${f.offset + f.length - 1}` : ''}]
              </span>
              {f.error && <span class="error small">{f.error}</span>}
            </div>
            {f.children && f.children.length > 0 && <FieldTree fields={f.children} layer={layer} path={p} selected={selected} onSelect={onSelect} />}
          </li>
        );
      })}
    </ul>
  );
}

function HexDump({ layer, index, selected }: { layer: TraceLayer; index: number; selected: Selection | undefined }) {
  const pairs = layer.hex.match(/../g) ?? [];
  const hl = (i: number) => selected !== undefined && selected.layer === index && i >= selected.offset && i < selected.offset + selected.length;
  const rows: number[] = [];
  for (let i = 0; i < pairs.length; i += BYTES_PER_ROW) rows.push(i);
  return (
    <div class="hexdump mono" data-layer={layer.name}>
      {rows.map((start) => (
        <div class="hex-row" key={start}>
          <span class="hex-offset">{start.toString(16).padStart(4, '0')}</span>
          <span class="hex-bytes">
            {pairs.slice(start, start + BYTES_PER_ROW).map((p, j) => (
              <span key={j} class={hl(start + j) ? 'byte hl' : 'byte'} data-byte={start + j}>
                {p}
              </span>
            ))}
          </span>
          <span class="hex-ascii">
            {pairs.slice(start, start + BYTES_PER_ROW).map((p, j) => {
              const c = p === '**' ? 42 : parseInt(p, 16);
              return (
                <span key={j} class={hl(start + j) ? 'hl' : ''}>
                  {c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.'}
                </span>
              );
            })}
          </span>
        </div>
      ))}
    </div>
  );
}

function PacketDetail({ packet }: { packet: TracePacket }) {
  const [selected, setSelected] = useState<Selection>();
  if (packet.layers.length === 0) return <p class="muted">This event carries no bytes.</p>;
  // The MQTT packet first (what people look for); the frames that carried it below, folded when there are many.
  const order = packet.layers.map((layer, i) => ({ layer, i })).sort((a, b) => Number(b.layer.name.startsWith('MQTT')) - Number(a.layer.name.startsWith('MQTT')));
  const frames = packet.layers.filter((l) => !l.name.startsWith('MQTT')).length;
  return (
    <div class="stack">
      {order.map(({ layer, i }) => (
        <details class="layer" key={`${packet.seq}-${i}`} open={layer.name.startsWith('MQTT') || frames <= 1}>
          <summary>
            <h3>{layer.name}</h3>
          </summary>
          <div class="layer-grid">
            <div class="layer-tree">
              <FieldTree fields={layer.fields} layer={i} path="" selected={selected} onSelect={setSelected} />
            </div>
            <HexDump layer={layer} index={i} selected={selected} />
          </div>
        </details>
      ))}
    </div>
  );
}

export function PacketsView() {
  const [client, setClient] = useState('');
  const [topic, setTopic] = useState('');
  const [types, setTypes] = useState<string[]>([]);
  const [paused, setPaused] = useState(false);
  const [packets, setPackets] = useState<TracePacket[]>([]);
  const [dropped, setDropped] = useState(0);
  const [error, setError] = useState<string>();
  const [selected, setSelected] = useState<number>();
  const pausedRef = useRef(paused);
  pausedRef.current = paused;
  const params = useMemo(() => ({ client: client || undefined, topic: topic || undefined, type: types.length ? types.join(',').toLowerCase() : undefined }), [client, topic, types]);
  const state = useEventStream('/api/trace', params, {
    packet: (d) => {
      if (pausedRef.current) return;
      const p = toTracePacket(d);
      setPackets((list) => (list.length >= KEEP ? [...list.slice(list.length - KEEP + 1), p] : [...list, p]));
    },
    dropped: (d) => setDropped((n) => n + ((d as { count: number }).count ?? 0)),
    ready: () => setError(undefined),
  });
  const current = packets.find((p) => p.seq === selected);
  const toggleType = (t: string) => setTypes((list) => (list.includes(t) ? list.filter((x) => x !== t) : [...list, t]));
  return (
    <div class="stack">
      <div class="toolbar wrap">
        <h1>Packets</h1>
        <input class="search" placeholder="Client id" value={client} onChange={(e) => setClient(e.currentTarget.value)} data-filter="client" />
        <input class="search" placeholder="Topic filter (a/+/#)" value={topic} onChange={(e) => setTopic(e.currentTarget.value)} data-filter="topic" />
        <button class="btn" onClick={() => setPaused(!paused)}>
          {paused ? 'Resume' : 'Pause'}
        </button>
        <button class="btn" onClick={() => (setPackets([]), setSelected(undefined), setDropped(0))}>
          Clear
        </button>
        <span class="muted small">
          {state === 'open' ? 'live' : state} · {packets.length} shown{dropped ? ` · ${dropped} skipped by the rate limit` : ''}
        </span>
        {error && <span class="error">{error}</span>}
      </div>
      <div class="type-filter">
        {TYPES.map((t) => (
          <button key={t} class={types.includes(t) ? 'chip toggle on' : 'chip toggle'} onClick={() => toggleType(t)}>
            {t}
          </button>
        ))}
      </div>
      <div class="split packets">
        <section class="card flush pane packet-list">
          <table class="table compact">
            <thead>
              <tr>
                <th>Time</th>
                <th />
                <th>Client</th>
                <th>Type</th>
                <th>Summary</th>
              </tr>
            </thead>
            <tbody>
              {packets.length === 0 && (
                <tr>
                  <td colSpan={5} class="empty">
                    {state === 'error' ? 'The trace stream is not available on this broker.' : 'Waiting for packets…'}
                  </td>
                </tr>
              )}
              {[...packets].reverse().map((p) => (
                <tr key={p.seq} class={p.seq === selected ? 'selected' : ''} onClick={() => setSelected(p.seq)} data-packet-type={p.type} data-kind={p.kind}>
                  <td class="mono muted">{clock(p.time)}</td>
                  <td class={`dir ${p.dir ?? ''}`} title={p.dir === 'in' ? 'client to broker' : p.dir === 'out' ? 'broker to client' : ''}>
                    {p.dir === 'in' ? '→' : p.dir === 'out' ? '←' : '·'}
                  </td>
                  <td class="mono">{p.clientId || p.remote}</td>
                  <td>
                    <span class={`ptype p-${p.type.toLowerCase()}`}>{p.type}</span>
                    {p.transport === 'ws' || p.transport === 'wss' ? <span class="badge t-ws small">{p.transport}</span> : null}
                  </td>
                  <td class="mono summary">{p.summary}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section class="card pane detail">{current ? <PacketDetail key={current.seq} packet={current} /> : <p class="muted">Select a packet to see its fields and bytes.</p>}</section>
      </div>
    </div>
  );
}
