// A workflow's DAG as SVG: a layered left-to-right layout (stable: the same definition always draws
// the same way), positions a person moved kept in the definition's ui field, and per-node
// decorations for the builder (handles, errors) and the execution graph (status, metrics).

import { s } from "./dom.js";

export const NODE_WIDTH = 190;
export const NODE_HEIGHT = 58;
const COLUMN_GAP = 70;
const ROW_GAP = 22;
const MARGIN = 12;
let drawings = 0; // marker ids must be unique when several graphs share a page

/** Each node's level: 0 for roots, otherwise one more than its deepest parent (cycles cut). */
export function topologicalLevels(agents, edges) {
  const parents = new Map(agents.map((agent) => [agent.id, []]));
  for (const edge of edges) parents.get(edge.target)?.push(edge.source);
  const levels = new Map();
  const visiting = new Set();
  const levelOf = (id) => {
    if (levels.has(id)) return levels.get(id);
    if (visiting.has(id) || !parents.has(id)) return 0; // a cycle being edited: draw it anyway
    visiting.add(id);
    const level = Math.max(-1, ...parents.get(id).map(levelOf)) + 1;
    visiting.delete(id);
    levels.set(id, level);
    return level;
  };
  for (const agent of agents) levelOf(agent.id);
  return levels;
}

/** A cycle of the graph as node ids (first not repeated), or null; Kahn's algorithm leaves it. */
export function findCycle(agents, edges) {
  const ids = new Set(agents.map((agent) => agent.id));
  const children = new Map([...ids].map((id) => [id, []]));
  const indegree = new Map([...ids].map((id) => [id, 0]));
  for (const { source, target } of edges) {
    if (!ids.has(source) || !ids.has(target)) continue;
    children.get(source).push(target);
    indegree.set(target, indegree.get(target) + 1);
  }
  const ready = [...ids].filter((id) => indegree.get(id) === 0);
  while (ready.length) {
    const id = ready.pop();
    for (const child of children.get(id)) {
      indegree.set(child, indegree.get(child) - 1);
      if (indegree.get(child) === 0) ready.push(child);
    }
  }
  const left = [...ids].filter((id) => indegree.get(id) > 0);
  if (!left.length) return null;
  // Walk from a leftover node along leftover children until a node repeats: that loop is a cycle.
  const rest = new Set(left);
  const path = [];
  const seen = new Map();
  let node = left[0];
  while (!seen.has(node)) {
    seen.set(node, path.length);
    path.push(node);
    node = children.get(node).find((child) => rest.has(child));
  }
  return path.slice(seen.get(node));
}

/** Edges along a cycle's nodes (each to the next, the last back to the first). */
export function cycleEdges(cycle) {
  return new Set((cycle ?? []).map((id, index) => `${id}→${cycle[(index + 1) % cycle.length]}`));
}

/**
 * Where each node goes: one column per level, rows in declaration order nudged towards the parents'
 * rows (fewer crossings, same answer every time); `positions` ({id: {x, y}}) wins where given.
 */
export function layout(agents, edges, positions = {}, nodeHeight = NODE_HEIGHT) {
  const levels = topologicalLevels(agents, edges);
  const order = new Map(agents.map((agent, index) => [agent.id, index]));
  const columns = [];
  for (const agent of agents) (columns[levels.get(agent.id) ?? 0] ??= []).push(agent.id);
  const row = new Map();
  columns.forEach((column = [], level) => {
    const weight = (id) => {
      const parentRows = edges.filter((edge) => edge.target === id && row.has(edge.source)).map((edge) => row.get(edge.source));
      return level && parentRows.length ? parentRows.reduce((a, b) => a + b, 0) / parentRows.length : order.get(id);
    };
    column.sort((a, b) => weight(a) - weight(b) || order.get(a) - order.get(b));
    column.forEach((id, index) => row.set(id, index));
  });
  // Array.from, not map: a level left empty by a cycle is a hole that map would keep.
  const tallest = Math.max(1, ...Array.from(columns, (column) => column?.length ?? 0));
  const height = tallest * nodeHeight + (tallest - 1) * ROW_GAP;
  const place = new Map();
  columns.forEach((column = [], level) => {
    const top = MARGIN + (height - (column.length * nodeHeight + (column.length - 1) * ROW_GAP)) / 2;
    column.forEach((id, index) => {
      place.set(id, { x: MARGIN + level * (NODE_WIDTH + COLUMN_GAP), y: top + index * (nodeHeight + ROW_GAP) });
    });
  });
  for (const [id, point] of Object.entries(positions ?? {})) {
    if (place.has(id) && Number.isFinite(point?.x) && Number.isFinite(point?.y)) place.set(id, { x: point.x, y: point.y });
  }
  return { place, levels, columns: columns.length };
}

export function hue(text) {
  let hash = 0;
  for (const char of text) hash = (hash * 31 + char.charCodeAt(0)) % 360;
  return hash;
}

export function clip(text, length) {
  const value = String(text ?? "");
  return value.length > length ? `${value.slice(0, length - 1)}…` : value;
}

/** The path of an edge from a node's right side to another's left side. */
export function edgePath(from, to, nodeHeight = NODE_HEIGHT) {
  const x1 = from.x + NODE_WIDTH;
  const y1 = from.y + nodeHeight / 2;
  const x2 = to.x - 4;
  const y2 = to.y + nodeHeight / 2;
  const bend = Math.max(24, Math.abs(x2 - x1) / 2);
  return `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`;
}

/**
 * The SVG drawing of a workflow ({agents, edges, ui}). Options:
 *  - nodeHeight; lines(agent) → extra text lines under the type;
 *  - nodeAttrs(agent) → attributes of the node's <g> (class, tabindex, aria-label, …);
 *  - edgeAttrs(edge) → attributes of the edge's <path>; handles: draw input/output handles;
 *  - label: the graph's accessible name.
 */
export function dagSvg(workflow, options = {}) {
  const agents = workflow.agents ?? [];
  const edges = workflow.edges ?? [];
  const nodeHeight = options.nodeHeight ?? NODE_HEIGHT;
  const { place, levels, columns } = layout(agents, edges, workflow.ui?.positions, nodeHeight);
  const points = [...place.values()];
  const width = Math.max(NODE_WIDTH + 2 * MARGIN, ...points.map((point) => point.x + NODE_WIDTH + MARGIN + (options.handles ? 12 : 0)));
  const height = Math.max(nodeHeight + 2 * MARGIN, ...points.map((point) => point.y + nodeHeight + MARGIN));
  const drawing = ++drawings;
  const marker = `dag-arrow-${drawing}`;

  const description = agents
    .map((agent) => {
      const targets = edges.filter((edge) => edge.source === agent.id).map((edge) => edge.target);
      return `${agent.id} (${agent.type}, step ${(levels.get(agent.id) ?? 0) + 1})${targets.length ? ` → ${targets.join(", ")}` : ""}`;
    })
    .join("; ");

  const edgePaths = edges
    .filter((edge) => place.has(edge.source) && place.has(edge.target))
    .map((edge) => {
      const extra = options.edgeAttrs?.(edge) ?? {};
      return s("path", {
        ...extra,
        class: ["dag-edge", extra.class].filter(Boolean).join(" "),
        d: edgePath(place.get(edge.source), place.get(edge.target), nodeHeight),
        "marker-end": `url(#${marker})`,
        "data-source": edge.source,
        "data-target": edge.target,
      });
    });

  const nodes = agents.map((agent) => {
    const { x, y } = place.get(agent.id);
    const extra = options.nodeAttrs?.(agent) ?? {};
    const lines = options.lines?.(agent) ?? [];
    return s(
      "g",
      {
        ...extra,
        class: ["dag-node", extra.class].filter(Boolean).join(" "),
        "data-node": agent.id,
        "data-level": levels.get(agent.id) ?? 0,
        transform: `translate(${x},${y})`,
      },
      s("title", {}, extra.title ?? `${agent.id}: ${agent.type}`),
      s("rect", { class: "dag-box", x: 0, y: 0, width: NODE_WIDTH, height: nodeHeight, rx: 8, fill: `hsl(${hue(agent.type)} 70% 94%)` }),
      s("rect", { class: "dag-stripe", x: 0, y: 0, width: 6, height: nodeHeight, rx: 3, fill: `hsl(${hue(agent.type)} 55% 42%)` }),
      s("text", { x: 16, y: 24, class: "dag-id" }, clip(agent.id, 22)),
      s("text", { x: 16, y: 44, class: "dag-type" }, clip(agent.type, 26)),
      lines.map((line, index) => s("text", { x: 16, y: 64 + index * 18, class: `dag-line ${line.class ?? ""}` }, clip(line.text ?? line, 32))),
      options.handles
        ? [
            s("circle", { class: "handle handle-in", cx: 0, cy: nodeHeight / 2, r: 7, "data-handle": "in", "data-node": agent.id }),
            s("circle", { class: "handle handle-out", cx: NODE_WIDTH, cy: nodeHeight / 2, r: 7, "data-handle": "out", "data-node": agent.id }),
          ]
        : null,
    );
  });

  return s(
    "svg",
    {
      class: "dag",
      viewBox: `0 0 ${width} ${height}`,
      width,
      height,
      role: options.role ?? "img",
      // "nodes" and "steps", not "agents" and "levels": the page's filters are labelled with those words.
      "aria-label": `${options.label ?? "Workflow graph"}: ${agents.length} nodes in ${columns} steps. ${description}`,
      style: { maxWidth: `${width}px` },
    },
    s(
      "defs",
      {},
      s(
        "marker",
        { id: marker, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 8, markerHeight: 8, orient: "auto-start-reverse" },
        s("path", { d: "M0,0 L10,5 L0,10 z", class: "dag-arrowhead" }),
      ),
    ),
    edgePaths,
    nodes,
  );
}
