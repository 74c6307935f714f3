// What changed between two versions of a workflow, matched by node id: the same rules as
// `agentflow workflows diff` (agentflow/workflow_diff.py), over the same versions route.

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** {nodesAdded, nodesRemoved, nodesRetyped, configChanged, edgesAdded, edgesRemoved} from `before` to `after`. */
export function diffWorkflows(before, after) {
  const oldNodes = new Map((before.agents ?? []).map((node) => [node.id, node]));
  const newNodes = new Map((after.agents ?? []).map((node) => [node.id, node]));
  const diff = { nodesAdded: [], nodesRemoved: [], nodesRetyped: [], configChanged: [], edgesAdded: [], edgesRemoved: [] };
  for (const [id, node] of newNodes) if (!oldNodes.has(id)) diff.nodesAdded.push({ id, type: node.type });
  for (const [id, old] of oldNodes) {
    const node = newNodes.get(id);
    if (!node) {
      diff.nodesRemoved.push({ id, type: old.type });
      continue;
    }
    if (old.type !== node.type) diff.nodesRetyped.push({ id, from: old.type, to: node.type });
    const a = old.config ?? {};
    const b = node.config ?? {};
    for (const field of [...Object.keys(a), ...Object.keys(b).filter((key) => !(key in a))]) {
      if (!(field in b)) diff.configChanged.push({ id, field, change: "removed", before: a[field] });
      else if (!(field in a)) diff.configChanged.push({ id, field, change: "added", after: b[field] });
      else if (!same(a[field], b[field])) diff.configChanged.push({ id, field, change: "changed", before: a[field], after: b[field] });
    }
  }
  const key = (edge) => `${edge.source}→${edge.target}`;
  const oldEdges = new Set((before.edges ?? []).map(key));
  const newEdges = new Set((after.edges ?? []).map(key));
  diff.edgesAdded = (after.edges ?? []).filter((edge) => !oldEdges.has(key(edge)));
  diff.edgesRemoved = (before.edges ?? []).filter((edge) => !newEdges.has(key(edge)));
  return diff;
}

export function isEmpty(diff) {
  return Object.values(diff).every((items) => !items.length);
}
