// [cluster] GET /api/nodes: the cluster's nodes as the bus reads them from Redis; `cluster: false` and no nodes
// on a single node (the front end then shows no Nodes view).
import type { Broker } from '../broker/broker.js';
import type { ClusterNodeView } from '../broker/ports.js';

export interface NodesView {
  serverTime: number;
  cluster: boolean;
  /** This node's id (null without --cluster). */
  node: string | null;
  nodes: ClusterNodeView[];
}

export async function nodesView(broker: Broker): Promise<NodesView> {
  const bus = broker.cluster;
  const nodes = bus?.nodes ? await bus.nodes() : [];
  return { serverTime: broker.clock.now(), cluster: bus !== undefined, node: bus?.nodeId ?? null, nodes };
}
