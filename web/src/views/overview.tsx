// Overview: the broker at a glance, messages per second as a live chart (uPlot), and the listeners.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { bytes, count, duration, rate } from '../format';
import type { Overview, RateSample } from '../types';

const CHART_HEIGHT = 220;
const MS_PER_S = 1000;
/** The chart always spans five minutes, so it does not zoom in on the first few samples. */
const WINDOW_S = 300;

function toData(history: RateSample[]): uPlot.AlignedData {
  return [history.map((s) => s.t / MS_PER_S), history.map((s) => s.msgsIn), history.map((s) => s.msgsOut)];
}

function RateChart({ history }: { history: RateSample[] }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  useEffect(() => {
    const el = box.current!;
    const opts: uPlot.Options = {
      width: el.clientWidth,
      height: CHART_HEIGHT,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true, range: (_u, _min, max) => [max - WINDOW_S, max] }, y: { range: (_u, _min, max) => [0, Math.max(10, max * 1.15)] } },
      axes: [
        { stroke: '#64748b', grid: { stroke: '#eef2f7' }, ticks: { stroke: '#e2e8f0' } },
        { stroke: '#64748b', grid: { stroke: '#eef2f7' }, ticks: { stroke: '#e2e8f0' }, size: 56, values: (_u, vals) => vals.map((v) => rate(v)) },
      ],
      series: [
        {},
        { label: 'messages in/s', stroke: '#0284c7', width: 2, fill: 'rgba(2,132,199,0.08)', value: (_u, v) => (v === null ? '—' : rate(v)) },
        { label: 'messages out/s', stroke: '#7c3aed', width: 2, value: (_u, v) => (v === null ? '—' : rate(v)) },
      ],
    };
    plot.current = new uPlot(opts, toData([]), el);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: el.clientWidth, height: CHART_HEIGHT }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
    };
  }, []);
  useEffect(() => {
    plot.current?.setData(toData(history));
  }, [history]);
  return <div class="chart" ref={box} />;
}

function Stat({ label, value, sub, id }: { label: string; value: string; sub?: string; id?: string }) {
  return (
    <div class="stat" data-stat={id}>
      <div class="stat-label">{label}</div>
      <div class="stat-value">{value}</div>
      {sub && <div class="stat-sub">{sub}</div>}
    </div>
  );
}

export function OverviewView({ overview: o, history }: { overview: Overview | undefined; history: RateSample[] }) {
  if (!o) return <p class="muted">Waiting for the broker…</p>;
  const r = o.rates;
  return (
    <div class="stack">
      <section class="stats">
        <Stat id="connections" label="Connections" value={count(o.connections)} sub={`max ${count(o.connectionsMaximum)} · ${count(o.sessions)} sessions`} />
        <Stat id="msgs-in" label="Messages in/s" value={rate(r?.msgsIn ?? 0)} sub={`${count(o.totals.messagesIn)} total`} />
        <Stat id="msgs-out" label="Messages out/s" value={rate(r?.msgsOut ?? 0)} sub={`${count(o.totals.messagesOut)} total`} />
        <Stat id="bytes-in" label="Bytes in/s" value={bytes(r?.bytesIn ?? 0)} sub={`${bytes(o.totals.bytesIn)} total`} />
        <Stat id="bytes-out" label="Bytes out/s" value={bytes(r?.bytesOut ?? 0)} sub={`${bytes(o.totals.bytesOut)} total`} />
        <Stat id="retained" label="Retained" value={count(o.retained)} sub={bytes(o.retainedBytes)} />
        <Stat id="subscriptions" label="Subscriptions" value={count(o.subscriptions)} sub={`${count(o.queued)} queued · ${count(o.totals.dropped)} dropped`} />
        <Stat id="uptime" label="Uptime" value={duration(o.uptime)} sub={`since ${new Date(o.startedAt).toLocaleTimeString()}`} />
      </section>
      <section class="card">
        <h2>Messages per second</h2>
        <RateChart history={history} />
      </section>
      <section class="card">
        <h2>Listeners</h2>
        <table class="table">
          <thead>
            <tr>
              <th>Listener</th>
              <th>Transport</th>
              <th>Address</th>
              <th class="num">Connections</th>
            </tr>
          </thead>
          <tbody>
            {o.listeners.map((l) => (
              <tr key={l.name}>
                <td class="mono">{l.name}</td>
                <td>
                  <span class={`badge t-${l.transport}`}>{l.transport}</span>
                </td>
                <td class="mono">{l.address}</td>
                <td class="num">{count(l.connections)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}
