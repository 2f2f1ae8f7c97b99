// Clients: every connected client with its transport, protocol, keepalive (time since its last packet against the
// 1.5 x keepalive limit, PINGREQ/PINGRESP as ticks on a one-minute strip), subscriptions, queues and bytes.
import { useState } from 'preact/hooks';
import { api } from '../api';
import { bytes, count, duration } from '../format';
import { useNow } from '../live';
import type { Client, ClientsMessage } from '../types';

const STRIP_MS = 60_000;
const STRIP_W = 132;
const STRIP_H = 18;
const GRACE = 1.5;
const MS_PER_S = 1000;

function KeepaliveStrip({ client, now }: { client: Client; now: number }) {
  const since = client.lastPacketAt === null ? null : Math.max(0, now - client.lastPacketAt);
  const limit = client.keepalive * GRACE * MS_PER_S;
  const share = since === null || limit === 0 ? 0 : Math.min(1, since / limit);
  const level = share < 0.5 ? 'ok' : share < 0.85 ? 'warn' : 'late';
  const x = (at: number) => STRIP_W - ((now - at) / STRIP_MS) * STRIP_W;
  return (
    <div class="keepalive" title="time since the last packet from the client; ticks: PINGREQ (blue) / PINGRESP (violet) in the last minute">
      <svg width={STRIP_W} height={STRIP_H} class="strip" aria-hidden="true">
        <rect x="0" y="0" width={STRIP_W} height={STRIP_H} rx="3" class="strip-bg" />
        {limit > 0 && <rect x="0" y={STRIP_H - 4} width={STRIP_W * share} height="4" class={`strip-bar ${level}`} />}
        {client.pings
          .filter((p) => now - p.at < STRIP_MS)
          .map((p) => (
            <line key={`${p.at}-${p.type}`} x1={x(p.at)} x2={x(p.at)} y1={p.type === 'pingreq' ? 2 : 7} y2={p.type === 'pingreq' ? 9 : 14} class={`tick ${p.type}`} />
          ))}
      </svg>
      <span class="keepalive-text">
        {since === null ? '—' : `${(since / MS_PER_S).toFixed(1)} s`}
        <span class="muted"> / {client.keepalive ? `${client.keepalive} s` : 'off'}</span>
      </span>
    </div>
  );
}

export function ClientsView({ data }: { data: ClientsMessage | undefined }) {
  const now = useNow(250);
  const [filter, setFilter] = useState('');
  const [busy, setBusy] = useState<string>();
  const [message, setMessage] = useState<string>();
  if (!data) return <p class="muted">Loading clients…</p>;
  // the broker's clock may differ from this browser's: measure time on the broker's scale
  const skew = Date.now() - data.serverTime;
  const brokerNow = now - skew;
  const shown = data.clients.filter((c) => !filter || c.clientId.includes(filter) || c.address.includes(filter)).sort((a, b) => a.clientId.localeCompare(b.clientId));
  const disconnect = async (id: string) => {
    setBusy(id);
    try {
      await api(`/api/clients/${encodeURIComponent(id)}`, { method: 'DELETE' });
      setMessage(`Disconnected ${id}`);
    } catch (e) {
      setMessage((e as Error).message);
    } finally {
      setBusy(undefined);
    }
  };
  return (
    <div class="stack">
      <div class="toolbar">
        <h1>Clients <span class="count">{data.clients.length}</span></h1>
        <input class="search" placeholder="Filter by client id or address" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
        {message && <span class="note">{message}</span>}
      </div>
      <div class="card flush">
        <table class="table clients">
          <thead>
            <tr>
              <th>Client id</th>
              <th>Address</th>
              <th>Transport</th>
              <th>Protocol</th>
              <th>Keepalive · since last packet</th>
              <th>Subscriptions</th>
              <th class="num">Inflight</th>
              <th class="num">Queued</th>
              <th class="num">Bytes in / out</th>
              <th class="num">Connected</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {shown.length === 0 && (
              <tr>
                <td colSpan={11} class="empty">
                  No clients connected.
                </td>
              </tr>
            )}
            {shown.map((c) => (
              <tr key={c.clientId} data-client={c.clientId}>
                <td class="mono strong">{c.clientId}</td>
                <td class="mono">{c.address}</td>
                <td>
                  <span class={`badge t-${c.transport}`}>{c.transport}</span>
                </td>
                <td>MQTT {c.protocol}</td>
                <td>
                  <KeepaliveStrip client={c} now={brokerNow} />
                </td>
                <td class="subs">
                  {c.subscriptions.length === 0 ? (
                    <span class="muted">—</span>
                  ) : (
                    c.subscriptions.map((s) => (
                      <span key={s.filter} class="chip mono" title={`QoS ${s.qos}`}>
                        {s.filter}
                      </span>
                    ))
                  )}
                </td>
                <td class="num">{count(c.inflight)}</td>
                <td class="num">{count(c.queued)}</td>
                <td class="num mono">
                  {bytes(c.bytesIn)} / {bytes(c.bytesOut)}
                </td>
                <td class="num">{duration((brokerNow - c.connectedAt) / MS_PER_S)}</td>
                <td>
                  <button class="btn danger small" disabled={busy === c.clientId} onClick={() => void disconnect(c.clientId)}>
                    Disconnect
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
