// Nodes (with --cluster only): every node of the cluster, whether it still beats, its clients, subscriptions and
// messages in/out (its own figures now, the others' as of their last heartbeat, at most 2 s old), and the totals.
import { count } from '../format';
import { usePoll } from '../live';
import type { ClusterNode, NodesMessage } from '../types';

const POLL_MS = 2000;

export function NodesView() {
  const { data, error } = usePoll<NodesMessage>('/api/nodes', POLL_MS);
  if (error) return <p class="error">{error}</p>;
  if (!data) return <p class="muted">Loading nodes…</p>;
  const live = data.nodes.filter((n) => n.alive);
  const sum = (pick: (n: ClusterNode) => number) => live.reduce((s, n) => s + pick(n), 0);
  return (
    <div class="stack">
      <div class="toolbar">
        <h1>
          Nodes <span class="count">{live.length}</span>
        </h1>
        <span class="note">this page is served by node {data.node}</span>
      </div>
      <div class="card flush">
        <table class="table nodes">
          <thead>
            <tr>
              <th>Node</th>
              <th>State</th>
              <th class="num">Clients</th>
              <th class="num">Subscriptions</th>
              <th class="num">Messages in</th>
              <th class="num">Messages out</th>
            </tr>
          </thead>
          <tbody>
            {data.nodes.map((n) => (
              <tr key={n.id} data-node={n.id} class={n.alive ? '' : 'dead'}>
                <td class="mono">
                  {n.id}
                  {n.self && <span class="pill self">this node</span>}
                </td>
                <td>
                  <span class={`dot ${n.alive ? 'open' : 'error'}`} /> <span class="state">{n.alive ? 'alive' : 'not beating'}</span>
                </td>
                <td class="num" data-field="clients">{count(n.clients)}</td>
                <td class="num" data-field="subscriptions">{count(n.subscriptions)}</td>
                <td class="num" data-field="messagesIn">{count(n.messagesIn)}</td>
                <td class="num" data-field="messagesOut">{count(n.messagesOut)}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr class="totals">
              <td>Cluster (live nodes)</td>
              <td />
              <td class="num" data-field="clients">{count(sum((n) => n.clients))}</td>
              <td class="num" data-field="subscriptions">{count(sum((n) => n.subscriptions))}</td>
              <td class="num" data-field="messagesIn">{count(sum((n) => n.messagesIn))}</td>
              <td class="num" data-field="messagesOut">{count(sum((n) => n.messagesOut))}</td>
            </tr>
          </tfoot>
        </table>
      </div>
    </div>
  );
}
