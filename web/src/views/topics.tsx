// Topics: the topic tree (every topic published since the dashboard opened, and every retained topic) with
// message rates; a selected topic shows its last and retained payloads, its subscribers and its publishers.
import { useMemo, useState } from 'preact/hooks';
import { count, rate } from '../format';
import { usePoll } from '../live';
import type { Topic, TopicsMessage } from '../types';
import { Payload } from './payload';

const POLL_MS = 2000;

interface TreeNode {
  name: string;
  path: string;
  topic?: Topic;
  children: Map<string, TreeNode>;
  rate: number;
  count: number;
}

function buildTree(topics: Topic[]): TreeNode {
  const root: TreeNode = { name: '', path: '', children: new Map(), rate: 0, count: 0 };
  for (const t of topics) {
    let node = root;
    const levels = t.topic.split('/');
    levels.forEach((level, i) => {
      const path = levels.slice(0, i + 1).join('/');
      let child = node.children.get(level);
      if (!child) node.children.set(level, (child = { name: level, path, children: new Map(), rate: 0, count: 0 }));
      child.rate += t.rate;
      child.count += t.count;
      node = child;
    });
    node.topic = t;
  }
  return root;
}

function TreeRows({ node, depth, selected, onSelect, closed, toggle }: { node: TreeNode; depth: number; selected: string | undefined; onSelect: (t: string) => void; closed: Set<string>; toggle: (p: string) => void }) {
  const children = [...node.children.values()].sort((a, b) => a.name.localeCompare(b.name));
  return (
    <>
      {children.map((c) => {
        const hasKids = c.children.size > 0;
        const expanded = !closed.has(c.path);
        return (
          <div key={c.path}>
            <div
              class={`tree-row ${selected === c.path ? 'selected' : ''} ${c.topic ? 'is-topic' : ''}`}
              style={{ paddingLeft: `${depth * 16 + 8}px` }}
              data-topic={c.topic ? c.topic.topic : undefined}
              onClick={() => (c.topic ? onSelect(c.topic.topic) : toggle(c.path))}
            >
              <span class="twisty" onClick={(e) => (e.stopPropagation(), toggle(c.path))}>
                {hasKids ? (expanded ? '▾' : '▸') : ''}
              </span>
              <span class="tree-name mono">{c.name === '' ? '(empty)' : c.name}</span>
              {c.topic?.retained && <span class="pill retained">retained</span>}
              <span class="tree-rate">{c.rate > 0 ? `${rate(c.rate)}/s` : ''}</span>
              <span class="tree-count muted">{c.count ? count(c.count) : ''}</span>
            </div>
            {hasKids && expanded && <TreeRows node={c} depth={depth + 1} selected={selected} onSelect={onSelect} closed={closed} toggle={toggle} />}
          </div>
        );
      })}
    </>
  );
}

function TopicDetail({ topic: t }: { topic: Topic }) {
  return (
    <div class="stack">
      <div>
        <h2 class="mono topic-title">{t.topic}</h2>
        <div class="muted">
          {rate(t.rate)} msg/s · {count(t.count)} messages since the dashboard opened
        </div>
      </div>
      <section>
        <h3>Last message</h3>
        {t.payload ? <Payload payload={t.payload} /> : <p class="muted">None seen since the dashboard opened.</p>}
      </section>
      <section>
        <h3>Retained</h3>
        {t.retained ? <Payload payload={t.retained.payload} /> : <p class="muted">No retained message.</p>}
      </section>
      <section>
        <h3>Subscribers <span class="count">{t.subscribers.length}</span></h3>
        {t.subscribers.length === 0 ? (
          <p class="muted">No subscription matches this topic.</p>
        ) : (
          <ul class="plain-list">
            {t.subscribers.map((s) => (
              <li key={`${s.clientId} ${s.filter}`}>
                <span class="mono strong">{s.clientId}</span> <span class="muted">via</span> <span class="chip mono">{s.filter}</span> <span class="muted">QoS {s.qos}</span>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section>
        <h3>Publishers</h3>
        {t.publishers.length === 0 ? (
          <p class="muted">None seen since the dashboard opened.</p>
        ) : (
          <ul class="plain-list">
            {t.publishers.map((p) => (
              <li key={p.clientId}>
                <span class="mono strong">{p.clientId || '(broker)'}</span> <span class="muted">{count(p.count)} messages</span>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}

export function TopicsView() {
  const { data, error } = usePoll<TopicsMessage>('/api/topics', POLL_MS);
  const [selected, setSelected] = useState<string>();
  const [closed, setClosed] = useState(new Set<string>());
  const [showSys, setShowSys] = useState(false);
  const topics = useMemo(() => (data?.topics ?? []).filter((t) => showSys || !t.topic.startsWith('$SYS')), [data, showSys]);
  const tree = useMemo(() => buildTree(topics), [topics]);
  const current = topics.find((t) => t.topic === selected);
  const toggle = (p: string) =>
    setClosed((o) => {
      const n = new Set(o);
      if (n.has(p)) n.delete(p);
      else n.add(p);
      return n;
    });
  return (
    <div class="split">
      <section class="card pane tree">
        <div class="toolbar">
          <h1>Topics <span class="count">{topics.length}</span></h1>
          <label class="check">
            <input type="checkbox" checked={showSys} onChange={(e) => setShowSys(e.currentTarget.checked)} /> $SYS
          </label>
        </div>
        {error && <p class="error">{error}</p>}
        {topics.length === 0 ? <p class="muted">No topics yet: publish something.</p> : <TreeRows node={tree} depth={0} selected={selected} onSelect={setSelected} closed={closed} toggle={toggle} />}
        {data && data.untracked > 0 && <p class="muted small">{count(data.untracked)} messages on further topics were counted but not tracked.</p>}
      </section>
      <section class="card pane detail">{current ? <TopicDetail topic={current} /> : <p class="muted">Select a topic to see its payloads and subscribers.</p>}</section>
    </div>
  );
}
