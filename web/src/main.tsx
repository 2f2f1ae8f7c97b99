// The dashboard shell: a header with the views, one live stream (/api/events) whose channels follow the open
// view, and the view itself. Routing is the URL hash, so a reload keeps the view and the page stays one file.
import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { useEventStream } from './live';
import { rate } from './format';
import type { ClientsMessage, FlowBatch, NodesMessage, Overview } from './types';
import { OverviewView } from './views/overview';
import { ClientsView } from './views/clients';
import { TopicsView } from './views/topics';
import { FlowView, FlowBus } from './views/flow';
import { PacketsView } from './views/packets';
import { PublishView } from './views/publish';
import { NodesView } from './views/nodes';
import { api } from './api';

const VIEWS = [
  { id: 'overview', label: 'Overview' },
  { id: 'nodes', label: 'Nodes' }, // [cluster] shown only when the broker runs with --cluster
  { id: 'clients', label: 'Clients' },
  { id: 'topics', label: 'Topics' },
  { id: 'flow', label: 'Flow' },
  { id: 'packets', label: 'Packets' },
  { id: 'publish', label: 'Publish' },
] as const;
type ViewId = (typeof VIEWS)[number]['id'];

function viewFromHash(): ViewId {
  const id = location.hash.replace(/^#\/?/, '');
  return (VIEWS.find((v) => v.id === id)?.id ?? 'overview') as ViewId;
}

function App() {
  const [view, setView] = useState<ViewId>(viewFromHash());
  const [overview, setOverview] = useState<Overview>();
  const [history, setHistory] = useState<Overview['history']>([]);
  const [clients, setClients] = useState<ClientsMessage>();
  const flowBus = useMemo(() => new FlowBus(), []);
  const [clustered, setClustered] = useState(false);

  useEffect(() => {
    api<NodesMessage>('/api/nodes').then((d) => setClustered(d.cluster), () => setClustered(false));
  }, []);

  useEffect(() => {
    const onHash = () => setView(viewFromHash());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);

  const watch = ['overview', ...(view === 'clients' || view === 'topics' || view === 'flow' ? [view] : [])].join(',');
  const state = useEventStream('/api/events', { watch }, {
    overview: (d) => {
      const o = d as Overview;
      setOverview(o);
      if (o.history) setHistory(o.history);
      else if (o.rates) setHistory((h) => [...(h ?? []).slice(-299), o.rates!]);
    },
    clients: (d) => setClients(d as ClientsMessage),
    flow: (d) => flowBus.emit(d as FlowBatch),
  });

  return (
    <div class="app">
      <header class="topbar">
        <a class="brand" href="#/overview">
          <span class="brand-mark" aria-hidden="true" />
          glassmq
        </a>
        <nav class="tabs">
          {VIEWS.filter((v) => v.id !== 'nodes' || clustered).map((v) => (
            <a key={v.id} href={`#/${v.id}`} class={v.id === view ? 'tab active' : 'tab'} data-view={v.id}>
              {v.label}
            </a>
          ))}
        </nav>
        <div class="status" title={`live stream: ${state}`}>
          <span class={`dot ${state}`} />
          {overview ? (
            <span>
              {overview.connections} clients · {rate(overview.rates?.msgsIn ?? 0)} in/s · {rate(overview.rates?.msgsOut ?? 0)} out/s
            </span>
          ) : (
            <span>connecting…</span>
          )}
        </div>
      </header>
      <main class="content">
        {view === 'overview' && <OverviewView overview={overview} history={history ?? []} />}
        {view === 'nodes' && clustered && <NodesView />}
        {view === 'clients' && <ClientsView data={clients} />}
        {view === 'topics' && <TopicsView />}
        {view === 'flow' && <FlowView bus={flowBus} />}
        {view === 'packets' && <PacketsView />}
        {view === 'publish' && <PublishView />}
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
