// Flow: publishers (left), topics (middle) and subscribers (right) as a graph drawn on a canvas, with each
// message batch from the broker animated as dots running along the edges. Canvas, not DOM, so hundreds of
// clients stay smooth: node spacing shrinks to fit, labels show while there is room (and on hover).
import { useEffect, useRef, useState } from 'preact/hooks';
import { usePoll } from '../live';
import type { FlowBatch, FlowGraph } from '../types';

const POLL_MS = 2000;
const PAD_Y = 28;
const MAX_SPACING = 34;
const MIN_LABEL_SPACING = 12;
const NODE_R = 5;
const TRAVEL_MS = 900;
const MAX_PARTICLES = 3000;
const DOTS_PER_DELTA = 3;
const MAX_FANOUT = 40;
const BATCH_MS = 250;
const HOVER_PX = 10;
const COLORS = { pub: '#0284c7', sub: '#059669', both: '#7c3aed', topic: '#d97706', edge: 'rgba(100,116,139,0.35)', hot: 'rgba(15,23,42,0.55)', label: '#334155' };

/** Hands flow batches from the live stream to the canvas without re-rendering. */
export class FlowBus {
  private listener: ((b: FlowBatch) => void) | undefined;
  emit(batch: FlowBatch): void {
    this.listener?.(batch);
  }
  on(fn: (b: FlowBatch) => void): () => void {
    this.listener = fn;
    return () => {
      if (this.listener === fn) this.listener = undefined;
    };
  }
}

interface Node {
  id: string;
  label: string;
  kind: 'pub' | 'sub' | 'both' | 'topic';
  filter?: boolean;
  x: number;
  y: number;
}

interface Layout {
  pubs: Map<string, Node>;
  subs: Map<string, Node>;
  topics: Map<string, Node>;
  edges: { from: Node; to: Node; key: string }[];
  /** topic -> edges to its subscribers. */
  fanout: Map<string, { from: Node; to: Node }[]>;
  /** publisher|topic -> edge. */
  pubEdge: Map<string, { from: Node; to: Node }>;
  spacing: { pub: number; topic: number; sub: number };
}

interface Particle {
  from: Node;
  to: Node;
  start: number;
  color: string;
  fan?: string;
}

function column(ids: string[], height: number): { ys: number[]; spacing: number } {
  const n = ids.length;
  const avail = height - 2 * PAD_Y;
  const spacing = n <= 1 ? MAX_SPACING : Math.min(MAX_SPACING, avail / (n - 1));
  const total = spacing * Math.max(0, n - 1);
  const top = PAD_Y + (avail - total) / 2;
  return { ys: ids.map((_, i) => top + i * spacing), spacing };
}

function layout(g: FlowGraph, width: number, height: number): Layout {
  const byId = new Map(g.clients.map((c) => [c.id, c]));
  const kindOf = (id: string): Node['kind'] => {
    const c = byId.get(id);
    return c?.publishes && c?.subscribes ? 'both' : c?.subscribes ? 'sub' : 'pub';
  };
  const pubIds = [...new Set(g.edges.filter((e) => e.kind === 'pub').map((e) => e.client))].sort();
  const subIds = [...new Set(g.edges.filter((e) => e.kind === 'sub').map((e) => e.client))].sort();
  // clients that neither publish nor subscribe yet still show, on the publisher side
  for (const c of g.clients) if (!c.publishes && !c.subscribes && !pubIds.includes(c.id)) pubIds.push(c.id);
  const topicIds = g.topics.map((t) => t.topic).sort();
  const xs = { pub: width * 0.16, topic: width * 0.5, sub: width * 0.84 };
  const make = (ids: string[], x: number, kind: (id: string) => Node['kind'], filter?: (id: string) => boolean) => {
    const { ys, spacing } = column(ids, height);
    return { map: new Map(ids.map((id, i) => [id, { id, label: id, kind: kind(id), filter: filter?.(id), x, y: ys[i]! }])), spacing };
  };
  const filters = new Set(g.topics.filter((t) => t.filter).map((t) => t.topic));
  const pubs = make(pubIds, xs.pub, kindOf);
  const subs = make(subIds, xs.sub, kindOf);
  const topics = make(topicIds, xs.topic, () => 'topic', (id) => filters.has(id));
  const edges: Layout['edges'] = [];
  const fanout: Layout['fanout'] = new Map();
  const pubEdge: Layout['pubEdge'] = new Map();
  for (const e of g.edges) {
    const t = topics.map.get(e.topic);
    const c = e.kind === 'pub' ? pubs.map.get(e.client) : subs.map.get(e.client);
    if (!t || !c) continue;
    if (e.kind === 'pub') {
      edges.push({ from: c, to: t, key: `p ${e.client} ${e.topic}` });
      pubEdge.set(`${e.client}\u0000${e.topic}`, { from: c, to: t });
    } else {
      edges.push({ from: t, to: c, key: `s ${e.topic} ${e.client}` });
      let list = fanout.get(e.topic);
      if (!list) fanout.set(e.topic, (list = []));
      list.push({ from: t, to: c });
    }
  }
  return { pubs: pubs.map, subs: subs.map, topics: topics.map, edges, fanout, pubEdge, spacing: { pub: pubs.spacing, topic: topics.spacing, sub: subs.spacing } };
}

function curve(ctx: CanvasRenderingContext2D, a: Node, b: Node): void {
  const mx = (a.x + b.x) / 2;
  ctx.moveTo(a.x, a.y);
  ctx.bezierCurveTo(mx, a.y, mx, b.y, b.x, b.y);
}

function pointOn(a: Node, b: Node, t: number): [number, number] {
  const mx = (a.x + b.x) / 2;
  const u = 1 - t;
  const x = u * u * u * a.x + 3 * u * u * t * mx + 3 * u * t * t * mx + t * t * t * b.x;
  const y = u * u * u * a.y + 3 * u * u * t * a.y + 3 * u * t * t * b.y + t * t * t * b.y;
  return [x, y];
}

function colorOf(kind: Node['kind']): string {
  return kind === 'topic' ? COLORS.topic : COLORS[kind];
}

export function FlowView({ bus }: { bus: FlowBus }) {
  const { data } = usePoll<FlowGraph>('/api/flow', POLL_MS);
  const box = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const layoutRef = useRef<Layout | undefined>(undefined);
  const particles = useRef<Particle[]>([]);
  const hover = useRef<Node | undefined>(undefined);
  const [size, setSize] = useState({ w: 800, h: 500 });
  const [stats, setStats] = useState({ msgs: 0 });

  useEffect(() => {
    const el = box.current!;
    const ro = new ResizeObserver(() => setSize({ w: el.clientWidth, h: Math.max(420, el.clientHeight) }));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    if (data) layoutRef.current = layout(data, size.w, size.h);
  }, [data, size]);

  useEffect(
    () =>
      bus.on((batch) => {
        const l = layoutRef.current;
        if (!l) return;
        const now = performance.now();
        let msgs = 0;
        for (const d of batch.deltas) {
          msgs += d.count;
          const dots = Math.min(d.count, DOTS_PER_DELTA);
          const edge = l.pubEdge.get(`${d.publisher}\u0000${d.topic}`);
          for (let i = 0; i < dots && particles.current.length < MAX_PARTICLES; i++) {
            const start = now + (i * BATCH_MS) / dots;
            if (edge) particles.current.push({ from: edge.from, to: edge.to, start, color: colorOf(edge.from.kind), fan: d.topic });
            else fan(l, d.topic, start);
          }
        }
        setStats({ msgs: msgs + batch.more });
      }),
    [bus],
  );

  const fan = (l: Layout, topic: string, start: number) => {
    const edges = l.fanout.get(topic) ?? [];
    for (let i = 0; i < edges.length && i < MAX_FANOUT && particles.current.length < MAX_PARTICLES; i++) {
      particles.current.push({ from: edges[i]!.from, to: edges[i]!.to, start, color: COLORS.topic });
    }
  };

  useEffect(() => {
    const c = canvas.current!;
    const dpr = window.devicePixelRatio || 1;
    c.width = size.w * dpr;
    c.height = size.h * dpr;
    c.style.width = `${size.w}px`;
    c.style.height = `${size.h}px`;
    const ctx = c.getContext('2d')!;
    let frame = 0;
    const draw = () => {
      frame = requestAnimationFrame(draw);
      const l = layoutRef.current;
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, size.w, size.h);
      if (!l) return;
      const h = hover.current;
      ctx.lineWidth = 1;
      ctx.strokeStyle = COLORS.edge;
      ctx.beginPath();
      for (const e of l.edges) curve(ctx, e.from, e.to);
      ctx.stroke();
      if (h) {
        ctx.strokeStyle = COLORS.hot;
        ctx.lineWidth = 1.5;
        ctx.beginPath();
        for (const e of l.edges) if (e.from.id === h.id || e.to.id === h.id) curve(ctx, e.from, e.to);
        ctx.stroke();
      }
      const now = performance.now();
      const list = particles.current;
      particles.current = [];
      for (const p of list) {
        const t = (now - p.start) / TRAVEL_MS;
        if (t >= 1) {
          if (p.fan) fan(l, p.fan, now); // arrived at the topic: on to its subscribers
          continue;
        }
        particles.current.push(p);
        if (t < 0) continue;
        const [x, y] = pointOn(p.from, p.to, t);
        ctx.fillStyle = p.color;
        ctx.beginPath();
        ctx.arc(x, y, 2.6, 0, Math.PI * 2);
        ctx.fill();
      }
      const groups: [Map<string, Node>, number, 'left' | 'center' | 'right'][] = [
        [l.pubs, l.spacing.pub, 'right'],
        [l.topics, l.spacing.topic, 'center'],
        [l.subs, l.spacing.sub, 'left'],
      ];
      ctx.font = '12px ui-sans-serif, system-ui, sans-serif';
      ctx.textBaseline = 'middle';
      for (const [nodes, spacing, align] of groups) {
        for (const n of nodes.values()) {
          ctx.fillStyle = colorOf(n.kind);
          ctx.beginPath();
          if (n.kind === 'topic') ctx.rect(n.x - NODE_R, n.y - NODE_R, NODE_R * 2, NODE_R * 2);
          else ctx.arc(n.x, n.y, NODE_R, 0, Math.PI * 2);
          if (n.filter) {
            ctx.strokeStyle = COLORS.topic;
            ctx.lineWidth = 1.5;
            ctx.stroke();
          } else ctx.fill();
          if (spacing >= MIN_LABEL_SPACING || n === h) {
            ctx.fillStyle = COLORS.label;
            ctx.textAlign = align === 'right' ? 'right' : align === 'left' ? 'left' : 'center';
            const dx = align === 'right' ? -NODE_R - 6 : align === 'left' ? NODE_R + 6 : 0;
            const dy = align === 'center' ? -NODE_R - 8 : 0;
            ctx.fillText(n.label.length > 40 ? `${n.label.slice(0, 39)}…` : n.label, n.x + dx, n.y + dy);
          }
        }
      }
    };
    frame = requestAnimationFrame(draw);
    return () => cancelAnimationFrame(frame);
  }, [size]);

  const onMove = (e: MouseEvent) => {
    const l = layoutRef.current;
    if (!l) return;
    const r = canvas.current!.getBoundingClientRect();
    const x = e.clientX - r.left;
    const y = e.clientY - r.top;
    let best: Node | undefined;
    let bestD = HOVER_PX;
    for (const m of [l.pubs, l.topics, l.subs]) {
      for (const n of m.values()) {
        const d = Math.hypot(n.x - x, n.y - y);
        if (d < bestD) {
          best = n;
          bestD = d;
        }
      }
    }
    hover.current = best;
  };

  const counts = data ? { clients: data.clients.length, topics: data.topics.length } : { clients: 0, topics: 0 };
  return (
    <div class="stack fill">
      <div class="toolbar">
        <h1>Flow</h1>
        <span class="legend">
          <span class="key pub" /> publisher <span class="key both" /> publishes and subscribes <span class="key sub" /> subscriber <span class="key topic" /> topic <span class="key filter" /> filter without traffic
        </span>
        <span class="muted small" data-flow-counts>
          {counts.clients} clients · {counts.topics} topics · {stats.msgs} msgs in the last batch
        </span>
      </div>
      <div class="card flush flow-box" ref={box}>
        <canvas ref={canvas} onMouseMove={onMove} onMouseLeave={() => (hover.current = undefined)} aria-label="message flow graph" />
        <div class="sr-only" data-flow-nodes>
          {data?.topics.map((t) => (
            <span key={t.topic} data-topic={t.topic}>
              {t.topic}
            </span>
          ))}
          {data?.clients.map((c) => (
            <span key={c.id} data-client={c.id}>
              {c.id}
            </span>
          ))}
        </div>
      </div>
    </div>
  );
}
