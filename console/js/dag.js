// A workflow's DAG as SVG: one column per topological level, edges left to right.

import { s } from "./dom.js";

const NODE_WIDTH = 190;
const NODE_HEIGHT = 58;
const COLUMN_GAP = 70;
const ROW_GAP = 22;
const MARGIN = 12;

/** Each node's level: 0 for roots, otherwise one more than its deepest parent. */
export function topologicalLevels(agents, edges) {
  const parents = new Map(agents.map((agent) => [agent.id, []]));
  for (const edge of edges) parents.get(edge.target)?.push(edge.source);
  const levels = new Map();
  const visiting = new Set();
  const levelOf = (id) => {
    if (levels.has(id)) return levels.get(id);
    if (visiting.has(id) || !parents.has(id)) return 0; // stored workflows are acyclic; stay safe anyway
    visiting.add(id);
    const level = Math.max(-1, ...parents.get(id).map(levelOf)) + 1;
    visiting.delete(id);
    levels.set(id, level);
    return level;
  };
  for (const agent of agents) levelOf(agent.id);
  return levels;
}

function hue(text) {
  let hash = 0;
  for (const char of text) hash = (hash * 31 + char.charCodeAt(0)) % 360;
  return hash;
}

function clip(text, length) {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

/** The SVG drawing of a workflow ({agents, edges}). */
export function dagSvg(workflow) {
  const agents = workflow.agents ?? [];
  const edges = workflow.edges ?? [];
  const levels = topologicalLevels(agents, edges);
  const columns = [];
  for (const agent of agents) {
    const level = levels.get(agent.id) ?? 0;
    (columns[level] ??= []).push(agent);
  }
  const tallest = Math.max(1, ...columns.map((column) => column?.length ?? 0));
  const width = MARGIN * 2 + columns.length * NODE_WIDTH + Math.max(0, columns.length - 1) * COLUMN_GAP;
  const height = MARGIN * 2 + tallest * NODE_HEIGHT + (tallest - 1) * ROW_GAP;
  const position = new Map();
  columns.forEach((column = [], level) => {
    const columnHeight = column.length * NODE_HEIGHT + (column.length - 1) * ROW_GAP;
    const top = (height - columnHeight) / 2;
    column.forEach((agent, row) => {
      position.set(agent.id, {
        x: MARGIN + level * (NODE_WIDTH + COLUMN_GAP),
        y: top + row * (NODE_HEIGHT + ROW_GAP),
      });
    });
  });

  const description = agents
    .map((agent) => {
      const targets = edges.filter((edge) => edge.source === agent.id).map((edge) => edge.target);
      return `${agent.id} (${agent.type}, level ${(levels.get(agent.id) ?? 0) + 1})${targets.length ? ` → ${targets.join(", ")}` : ""}`;
    })
    .join("; ");

  const edgePaths = edges
    .filter((edge) => position.has(edge.source) && position.has(edge.target))
    .map((edge) => {
      const from = position.get(edge.source);
      const to = position.get(edge.target);
      const x1 = from.x + NODE_WIDTH;
      const y1 = from.y + NODE_HEIGHT / 2;
      const x2 = to.x - 4;
      const y2 = to.y + NODE_HEIGHT / 2;
      const bend = Math.max(24, (x2 - x1) / 2);
      return s("path", {
        class: "dag-edge",
        d: `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`,
        "marker-end": "url(#dag-arrow)",
        "data-source": edge.source,
        "data-target": edge.target,
      });
    });

  const nodes = agents.map((agent) => {
    const { x, y } = position.get(agent.id);
    return s(
      "g",
      { class: "dag-node", "data-node": agent.id, "data-level": levels.get(agent.id) ?? 0 },
      s("title", {}, `${agent.id}: ${agent.type}`),
      s("rect", { x, y, width: NODE_WIDTH, height: NODE_HEIGHT, rx: 8, fill: `hsl(${hue(agent.type)} 70% 94%)` }),
      s("rect", { x, y, width: 6, height: NODE_HEIGHT, rx: 3, fill: `hsl(${hue(agent.type)} 55% 42%)` }),
      s("text", { x: x + 16, y: y + 24, class: "dag-id" }, clip(agent.id, 22)),
      s("text", { x: x + 16, y: y + 44, class: "dag-type" }, clip(agent.type, 26)),
    );
  });

  return s(
    "svg",
    {
      class: "dag",
      viewBox: `0 0 ${width} ${height}`,
      width,
      height,
      role: "img",
      "aria-labelledby": "dag-title dag-desc",
      style: { maxWidth: `${width}px` },
    },
    s("title", { id: "dag-title" }, `Workflow graph: ${agents.length} agents in ${columns.length} levels`),
    s("desc", { id: "dag-desc" }, description),
    s(
      "defs",
      {},
      s(
        "marker",
        { id: "dag-arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 8, markerHeight: 8, orient: "auto-start-reverse" },
        s("path", { d: "M0,0 L10,5 L0,10 z", class: "dag-arrowhead" }),
      ),
    ),
    edgePaths,
    nodes,
  );
}
