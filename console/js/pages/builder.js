// The workflow builder: nodes from the agent catalog, config forms from their schemas, edges drawn
// from an output handle to an input handle (or chosen as parents from a list), and the JSON editor —
// all editing the one definition. Saving creates the workflow or its next version.

import { api } from "../api.js";
import { NODE_HEIGHT, NODE_WIDTH, cycleEdges, dagSvg, edgePath, findCycle, layout } from "../dag.js";
import { errorContent, h, pretty } from "../dom.js";
import { configForm } from "../schemaform.js";

const NODE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** replaceChildren without the word "null" for the parts a condition left out. */
function fill(element, ...children) {
  element.replaceChildren(...children.filter((child) => child !== null && child !== undefined && child !== false));
}
const STEP = 10; // arrow keys move a node this far (Shift: five times)

/** The editable part of a stored workflow (or of JSON a person typed). */
function editable(workflow) {
  const definition = {
    name: workflow.name ?? "",
    description: workflow.description ?? "",
    agents: (workflow.agents ?? []).map((agent) => ({ ...agent, config: { ...(agent.config ?? {}) } })),
    edges: (workflow.edges ?? []).map((edge) => ({ source: edge.source, target: edge.target })),
  };
  for (const [key, value] of Object.entries(workflow)) {
    if (!["id", "version", "created_at", "updated_at", "execution_order", ...Object.keys(definition)].includes(key)) definition[key] = value;
  }
  if (!definition.ui && workflow.ui) definition.ui = workflow.ui;
  return definition;
}

/** Where the API's 422 messages point: {general, nodes: id → [messages], fields: id → field → [messages], edges: key → [messages], cycle}. */
export function placeProblems(error, definition) {
  const placed = { general: [], nodes: new Map(), fields: new Map(), edges: new Map(), cycle: null };
  const add = (map, key, message) => map.set(key, [...(map.get(key) ?? []), message]);
  const details = error.details?.length ? error.details : [error.message];
  for (const detail of details) {
    if (detail && typeof detail === "object" && Array.isArray(detail.cycle)) {
      placed.cycle = detail.cycle;
      placed.general.push(error.message);
      continue;
    }
    const text = typeof detail === "string" ? detail : JSON.stringify(detail);
    const node =
      text.match(/^(?:Node|Agent(?: id)?) '([^']+)'/)?.[1] ?? definition.agents[Number(text.match(/agents[.[](\d+)/)?.[1])]?.id;
    const edge = text.match(/^Edge (\S+) → (\S+)/);
    if (edge) add(placed.edges, `${edge[1]}→${edge[2]}`, text);
    else if (node) {
      add(placed.nodes, node, text);
      // "Node 'id' (type): config field 'name' is required, e.g. …" (or a mode's "needs config field 'name'")
      const field = text.match(/config field '([A-Za-z0-9_]+)/)?.[1];
      if (field) {
        if (!placed.fields.has(node)) placed.fields.set(node, new Map());
        add(placed.fields.get(node), field, text.replace(/^Node '[^']+' \([^)]*\): /, ""));
      }
    } else placed.general.push(text);
  }
  return placed;
}

function noProblems() {
  return { general: [], nodes: new Map(), fields: new Map(), edges: new Map(), cycle: null };
}

export async function builderPage(context, workflowId) {
  const [existing, { agent_types: agentTypes }] = await Promise.all([workflowId ? api.workflow(workflowId) : null, api.agentTypes()]);
  const types = new Map(agentTypes.map((agentType) => [agentType.type, agentType]));
  context.setTitle(existing ? `Edit ${existing.name}` : "New workflow");

  const state = {
    definition: existing ? editable(existing) : { name: "New workflow", description: "", agents: [], edges: [] },
    version: existing?.version ?? null,
    selected: null, // a node id
    selectedEdge: null, // "source→target"
    problems: noProblems(),
    refused: null, // {source, target, cycle}: an edge the builder would not add
    notice: "",
  };

  const canvas = h("div", { class: "canvas", id: "builder-canvas" });
  const notice = h("p", { class: "graph-notice", id: "graph-notice", role: "status" });
  const inspector = h("section", { class: "card inspector", id: "inspector", "aria-labelledby": "inspector-title" });
  const errors = h("div", { id: "editor-errors", class: "alert", role: "alert" });
  const conflict = h("div", { id: "editor-conflict" });
  const jsonError = h("p", { class: "field-error", id: "json-error", role: "alert" });
  const nameInput = h("input", { id: "workflow-name", required: true, maxlength: 200, autocomplete: "off" });
  const descriptionInput = h("input", { id: "workflow-description", maxlength: 2000, autocomplete: "off" });
  const editor = h("textarea", {
    id: "definition",
    class: "code-editor",
    rows: 18,
    spellcheck: "false",
    autocapitalize: "off",
    "aria-describedby": "editor-help json-error editor-errors",
  });
  const save = h("button", { type: "button", id: "save-workflow" }, existing ? "Save changes" : "Create workflow");
  const edgeTools = h("span", { class: "actions", id: "edge-tools" });

  const agentById = (id) => state.definition.agents.find((agent) => agent.id === id);
  const edgeKey = (edge) => `${edge.source}→${edge.target}`;

  /** Apply a change made in the visual builder; the JSON editor follows. */
  function change(mutate, { keepProblems = false } = {}) {
    mutate(state.definition);
    if (!keepProblems) state.problems = noProblems();
    render({ json: true });
  }

  function positions() {
    state.definition.ui ??= {};
    state.definition.ui.positions ??= {};
    return state.definition.ui.positions;
  }

  function freshId(type) {
    const base = type.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 56);
    let index = 1;
    while (agentById(`${base}_${index}`)) index += 1;
    return `${base}_${index}`;
  }

  function addNode(type) {
    const id = freshId(type);
    change((definition) => definition.agents.push({ id, type, config: {} }));
    state.selected = id;
    state.notice = `Added ${id} (${type}).`;
    render({ json: false });
    context.announce(`Added node ${id}. Its settings are in the node panel.`);
    inspector.querySelector("h2")?.focus();
  }

  function removeNode(id) {
    change((definition) => {
      definition.agents = definition.agents.filter((agent) => agent.id !== id);
      definition.edges = definition.edges.filter((edge) => edge.source !== id && edge.target !== id);
      if (definition.ui?.positions) delete definition.ui.positions[id];
    });
    state.selected = null;
    state.notice = `Removed ${id}.`;
    render({ json: false });
    context.announce(`Removed node ${id}.`);
  }

  function renameNode(from, to) {
    change((definition) => {
      agentById(from).id = to;
      for (const edge of definition.edges) {
        if (edge.source === from) edge.source = to;
        if (edge.target === from) edge.target = to;
      }
      const moved = definition.ui?.positions?.[from];
      if (moved) {
        definition.ui.positions[to] = moved;
        delete definition.ui.positions[from];
      }
    });
    state.selected = to;
    render({ json: false });
  }

  /** Add source → target unless it is a self-loop, a duplicate or closes a cycle (then show why). */
  function connect(source, target) {
    state.refused = null;
    if (source === target) {
      state.notice = `Refused: ${source} cannot feed itself.`;
    } else if (state.definition.edges.some((edge) => edge.source === source && edge.target === target)) {
      state.notice = `${source} → ${target} is already there.`;
    } else {
      const cycle = findCycle(state.definition.agents, [...state.definition.edges, { source, target }]);
      if (cycle) {
        state.refused = { source, target, cycle };
        state.notice = `Refused: ${source} → ${target} would make a cycle: ${[...cycle, cycle[0]].join(" → ")}.`;
      } else {
        change((definition) => definition.edges.push({ source, target }));
        state.notice = `Connected ${source} → ${target}.`;
      }
    }
    render({ json: false });
    context.announce(state.notice);
  }

  function disconnect(source, target) {
    change((definition) => {
      definition.edges = definition.edges.filter((edge) => !(edge.source === source && edge.target === target));
    });
    state.selectedEdge = null;
    state.notice = `Removed the edge ${source} → ${target}.`;
    render({ json: false });
    context.announce(state.notice);
  }

  // ---- the graph

  function drawGraph() {
    const { agents, edges } = state.definition;
    const drawnCycle = state.refused?.cycle ?? state.problems.cycle ?? findCycle(agents, edges);
    const inCycle = new Set(drawnCycle ?? []);
    const cycleKeys = cycleEdges(drawnCycle);
    const svg = dagSvg(state.definition, {
      handles: true,
      role: "group",
      label: "Workflow builder graph",
      nodeAttrs: (agent) => {
        const problems = state.problems.nodes.get(agent.id) ?? [];
        return {
          class: [
            "editable",
            agent.id === state.selected ? "selected" : null,
            problems.length ? "has-error" : null,
            inCycle.has(agent.id) ? "in-cycle" : null,
          ]
            .filter(Boolean)
            .join(" "),
          tabindex: "0",
          role: "button",
          "aria-pressed": agent.id === state.selected ? "true" : "false",
          "aria-label": `Node ${agent.id}, ${agent.type}${problems.length ? `, ${problems.length} problem${problems.length > 1 ? "s" : ""}` : ""}${inCycle.has(agent.id) ? ", in a cycle" : ""}`,
          title: problems.length ? problems.join("\n") : `${agent.id}: ${agent.type}`,
        };
      },
      lines: (agent) => {
        const problems = state.problems.nodes.get(agent.id) ?? [];
        return problems.length ? [{ text: `⚠ ${problems[0].replace(/^Agent '[^']+' \([^)]*\): /, "")}`, class: "dag-error" }] : [];
      },
      nodeHeight: NODE_HEIGHT + 18,
      edgeAttrs: (edge) => {
        const key = edgeKey(edge);
        return {
          class: [
            state.problems.edges.has(key) ? "has-error" : null,
            cycleKeys.has(key) ? "in-cycle" : null,
            state.selectedEdge === key ? "selected" : null,
          ]
            .filter(Boolean)
            .join(" "),
          "data-edge": key,
        };
      },
    });
    if (state.refused) {
      const { place } = layout(agents, edges, state.definition.ui?.positions, NODE_HEIGHT + 18);
      const from = place.get(state.refused.source);
      const to = place.get(state.refused.target);
      if (from && to) {
        const refusedEdge = document.createElementNS("http://www.w3.org/2000/svg", "path");
        refusedEdge.setAttribute("class", "dag-edge refused");
        refusedEdge.setAttribute("d", edgePath(from, to, NODE_HEIGHT + 18));
        refusedEdge.setAttribute("data-refused", `${state.refused.source}→${state.refused.target}`);
        svg.append(refusedEdge);
      }
    }
    canvas.replaceChildren(
      agents.length ? svg : h("p", { class: "empty" }, "No nodes yet: add one from the catalog on the left."),
    );
    const cycleText = drawnCycle && !state.refused ? `The graph has a cycle: ${[...drawnCycle, drawnCycle[0]].join(" → ")}. Remove one of its edges.` : "";
    notice.textContent = [state.notice, cycleText].filter(Boolean).join(" ");
    notice.classList.toggle("warning", Boolean(state.refused || drawnCycle || state.notice.startsWith("Refused")));
    fill(
      edgeTools,
      state.selectedEdge
        ? h(
            "button",
            {
              type: "button",
              class: "danger",
              onclick: () => {
                const [source, target] = state.selectedEdge.split("→");
                disconnect(source, target);
              },
            },
            `Remove edge ${state.selectedEdge.replace("→", " → ")}`,
          )
        : null,
      h(
        "button",
        {
          type: "button",
          class: "secondary",
          id: "tidy-layout",
          onclick: () => {
            change((definition) => {
              if (definition.ui) delete definition.ui.positions;
              if (definition.ui && !Object.keys(definition.ui).length) delete definition.ui;
            }, { keepProblems: true });
            state.notice = "Layout reset: layered, left to right.";
            render({ json: false });
          },
        },
        "Tidy layout",
      ),
    );
  }

  function svgPoint(event) {
    const svg = canvas.querySelector("svg");
    const matrix = svg.getScreenCTM().inverse();
    const point = new DOMPoint(event.clientX, event.clientY).matrixTransform(matrix);
    return { x: point.x, y: point.y };
  }

  function currentPlace(id) {
    return layout(state.definition.agents, state.definition.edges, state.definition.ui?.positions, NODE_HEIGHT + 18).place.get(id);
  }

  let gesture = null; // {kind: "move" | "connect", id, start, origin, moved, line}
  canvas.addEventListener("pointerdown", (event) => {
    const handle = event.target.closest?.("[data-handle]");
    const node = event.target.closest?.(".dag-node");
    const edge = event.target.closest?.("[data-edge]");
    if (handle?.dataset.handle === "out") {
      event.preventDefault();
      const start = svgPoint(event);
      const line = document.createElementNS("http://www.w3.org/2000/svg", "path");
      line.setAttribute("class", "dag-edge drafting");
      canvas.querySelector("svg").append(line);
      gesture = { kind: "connect", id: handle.dataset.node, start, line };
      canvas.setPointerCapture(event.pointerId);
    } else if (node) {
      event.preventDefault();
      gesture = { kind: "move", id: node.dataset.node, start: svgPoint(event), origin: currentPlace(node.dataset.node), moved: false };
      canvas.setPointerCapture(event.pointerId);
    } else if (edge) {
      state.selectedEdge = edge.dataset.edge;
      state.selected = null;
      render({ json: false });
    }
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!gesture) return;
    const point = svgPoint(event);
    if (gesture.kind === "connect") {
      const from = currentPlace(gesture.id);
      gesture.line.setAttribute("d", `M${from.x + NODE_WIDTH},${from.y + (NODE_HEIGHT + 18) / 2} L${point.x},${point.y}`);
      return;
    }
    const dx = point.x - gesture.start.x;
    const dy = point.y - gesture.start.y;
    if (!gesture.moved && Math.hypot(dx, dy) < 4) return;
    gesture.moved = true;
    positions()[gesture.id] = { x: Math.max(0, Math.round(gesture.origin.x + dx)), y: Math.max(0, Math.round(gesture.origin.y + dy)) };
    drawGraph();
  });
  canvas.addEventListener("pointerup", (event) => {
    const done = gesture;
    gesture = null;
    if (!done) return;
    if (canvas.hasPointerCapture(event.pointerId)) canvas.releasePointerCapture(event.pointerId);
    if (done.kind === "connect") {
      done.line.remove();
      const under = document.elementFromPoint(event.clientX, event.clientY)?.closest?.("[data-node]");
      if (under) connect(done.id, under.dataset.node);
      return;
    }
    if (done.moved) {
      state.notice = `Moved ${done.id}; its position is kept with the workflow.`;
      render({ json: true });
    } else {
      state.selected = done.id;
      state.selectedEdge = null;
      render({ json: false });
    }
  });
  canvas.addEventListener("keydown", (event) => {
    const node = event.target.closest?.(".dag-node");
    if (!node) return;
    const id = node.dataset.node;
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      state.selected = id;
      render({ json: false });
      inspector.querySelector("h2")?.focus();
      return;
    }
    const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    if (moves[event.key]) {
      event.preventDefault();
      const step = event.shiftKey ? STEP * 5 : STEP;
      const from = currentPlace(id);
      positions()[id] = { x: Math.max(0, from.x + moves[event.key][0] * step), y: Math.max(0, from.y + moves[event.key][1] * step) };
      render({ json: true });
      canvas.querySelector(`.dag-node[data-node="${CSS.escape(id)}"]`)?.focus();
    }
  });

  // ---- the node panel

  function drawInspector() {
    const agent = state.selected ? agentById(state.selected) : null;
    if (!agent) {
      inspector.replaceChildren(
        h("h2", { id: "inspector-title", tabindex: "-1" }, "Node"),
        h("p", { class: "hint" }, "Select a node on the graph (click it, or Tab to it and press Enter) to set its id, parents and configuration."),
      );
      return;
    }
    const agentType = types.get(agent.type);
    const problems = state.problems.nodes.get(agent.id) ?? [];
    const idInput = h("input", { id: "node-id", value: agent.id, required: true, pattern: "[A-Za-z0-9_\\-]{1,64}", autocomplete: "off", "aria-describedby": "node-id-hint node-id-error" });
    const idError = h("p", { class: "field-error", id: "node-id-error" });
    idInput.addEventListener("change", () => {
      const next = idInput.value.trim();
      if (next === agent.id) return;
      if (!NODE_ID.test(next)) idError.textContent = "1–64 letters, digits, _ or -.";
      else if (agentById(next)) idError.textContent = `Another node is already called ${next}.`;
      else {
        renameNode(agent.id, next);
        inspector.querySelector("#node-id")?.focus();
      }
    });
    const others = state.definition.agents.filter((other) => other.id !== agent.id);
    const parents = h(
      "fieldset",
      { class: "parents", id: "node-parents" },
      h("legend", {}, "Parents (run before this node and feed it)"),
      others.length
        ? others.map((other) => {
            const checkbox = h("input", {
              type: "checkbox",
              id: `parent-${other.id}`,
              checked: state.definition.edges.some((edge) => edge.source === other.id && edge.target === agent.id),
              onchange: (event) => {
                if (event.target.checked) connect(other.id, agent.id);
                else disconnect(other.id, agent.id);
                inspector.querySelector(`#parent-${CSS.escape(other.id)}`)?.focus();
              },
            });
            return h("div", { class: "field checkbox" }, checkbox, h("label", { for: `parent-${other.id}` }, other.id, h("small", {}, ` ${other.type}`)));
          })
        : h("p", { class: "hint" }, "No other nodes yet."),
    );
    const form = agentType
      ? configForm(
          agentType.config_schema ?? {},
          agent.config ?? {},
          (config) => {
            const focused = document.activeElement?.id;
            change((definition) => {
              definition.agents.find((item) => item.id === agent.id).config = config;
            });
            if (focused) inspector.querySelector(`#${CSS.escape(focused)}`)?.focus();
          },
          { idPrefix: `config-${agent.id}`, errors: state.problems.fields.get(agent.id) ?? new Map() },
        )
      : h("p", { class: "field-error" }, `Unknown agent type ${agent.type}.`);
    fill(
      inspector,
      h("h2", { id: "inspector-title", tabindex: "-1" }, "Node ", h("code", {}, agent.id)),
      h("p", { class: "hint" }, agentType ? `${agentType.name}: ${agentType.description}` : ""),
      problems.length ? h("ul", { class: "node-problems", id: "node-problems", role: "alert" }, problems.map((problem) => h("li", {}, problem))) : null,
      h("div", { class: "field" }, h("label", { for: "node-id" }, "Node id"), idInput, h("small", { class: "hint", id: "node-id-hint" }, "Unique in the workflow; 1–64 letters, digits, _ or -."), idError),
      parents,
      h("h3", {}, "Configuration"),
      form,
      h("button", { type: "button", class: "danger", onclick: () => removeNode(agent.id) }, `Remove node ${agent.id}`),
    );
  }

  // ---- everything

  function render({ json }) {
    if (nameInput.value !== state.definition.name) nameInput.value = state.definition.name ?? "";
    if (descriptionInput.value !== (state.definition.description ?? "")) descriptionInput.value = state.definition.description ?? "";
    if (json) {
      editor.value = pretty(body());
      jsonError.textContent = "";
    }
    drawGraph();
    drawInspector();
    errors.replaceChildren(...(state.problems.general.length || state.problems.status ? problemList() : []));
  }

  function problemList() {
    const all = [...state.problems.general, ...[...state.problems.nodes.values()].flat(), ...[...state.problems.edges.values()].flat()];
    return [
      state.problems.status ? h("p", { class: "error-code" }, state.problems.status) : null,
      h("p", { class: "error-message" }, all[0] ?? ""),
      all.length > 1 ? h("ul", { class: "error-details" }, all.slice(1).map((item) => h("li", {}, item))) : null,
    ].filter(Boolean);
  }

  function body() {
    const definition = { ...state.definition };
    if (!definition.description) delete definition.description;
    if (definition.ui && !Object.keys(definition.ui.positions ?? {}).length && Object.keys(definition.ui).length <= 1) delete definition.ui;
    return state.version ? { ...definition, version: state.version } : definition;
  }

  nameInput.addEventListener("input", () => {
    state.definition.name = nameInput.value;
    editor.value = pretty(body());
  });
  descriptionInput.addEventListener("input", () => {
    state.definition.description = descriptionInput.value;
    editor.value = pretty(body());
  });
  editor.addEventListener("input", () => {
    let parsed;
    try {
      parsed = JSON.parse(editor.value);
    } catch (error) {
      jsonError.textContent = `Not valid JSON yet (the graph shows the last valid definition): ${error.message}`;
      return;
    }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
      jsonError.textContent = "The definition must be a JSON object.";
      return;
    }
    jsonError.textContent = "";
    if (Number.isInteger(parsed.version)) state.version = parsed.version;
    state.definition = editable(parsed);
    if (state.selected && !agentById(state.selected)) state.selected = null;
    state.refused = null;
    state.notice = "";
    render({ json: false });
  });

  async function reload() {
    const latest = await api.workflow(existing.id);
    state.definition = editable(latest);
    state.version = latest.version;
    state.problems = noProblems();
    state.notice = `Reloaded version ${latest.version}.`;
    conflict.replaceChildren();
    render({ json: true });
    context.announce(state.notice);
  }

  save.addEventListener("click", async () => {
    try {
      JSON.parse(editor.value);
    } catch (error) {
      errors.replaceChildren(h("p", { class: "error-message" }, `The definition is not valid JSON: ${error.message}`));
      editor.focus();
      return;
    }
    save.disabled = true;
    conflict.replaceChildren();
    try {
      const payload = body();
      const saved = existing ? await api.updateWorkflow(existing.id, payload) : await api.createWorkflow(payload);
      context.announce(`Workflow ${saved.name} saved (version ${saved.version}).`);
      context.navigate(`#/workflows/${encodeURIComponent(saved.id)}`);
    } catch (error) {
      save.disabled = false;
      if (error.status === 401) return;
      if (error.status === 409 && existing) {
        conflict.replaceChildren(
          h(
            "div",
            { class: "alert", role: "alert" },
            h("p", { class: "error-message" }, error.message),
            h("p", {}, "Someone saved this workflow since you opened it. Reload it to see their version (your unsaved changes are dropped)."),
            h("button", { type: "button", id: "reload-workflow", onclick: reload }, "Reload the current version"),
          ),
        );
        conflict.querySelector("button").focus();
        return;
      }
      state.notice = "";
      state.problems = placeProblems(error, state.definition);
      state.problems.status = `${error.status} ${error.code}`;
      const first = [...state.problems.nodes.keys()][0];
      if (first && !state.selected) state.selected = first;
      render({ json: false });
      errors.focus?.();
    }
  });

  const palette = h(
    "section",
    { class: "card palette", "aria-labelledby": "palette-title" },
    h("h2", { id: "palette-title" }, "Add a node"),
    h(
      "ul",
      { class: "palette-list" },
      agentTypes.map((agentType) =>
        h(
          "li",
          {},
          h(
            "button",
            { type: "button", class: "secondary palette-item", "data-type": agentType.type, title: agentType.description, onclick: () => addNode(agentType.type) },
            `Add ${agentType.name}`,
          ),
        ),
      ),
    ),
  );

  context.main.replaceChildren(
    h(
      "div",
      { class: "page-head" },
      h("h1", { id: "editor-title" }, existing ? `Edit ${existing.name}` : "New workflow"),
      h(
        "span",
        { class: "actions" },
        save,
        h("a", { class: "button secondary", href: existing ? `#/workflows/${encodeURIComponent(existing.id)}` : "#/workflows" }, "Cancel"),
      ),
    ),
    conflict,
    errors,
    h(
      "div",
      { class: "filters workflow-fields" },
      h("div", { class: "field grow" }, h("label", { for: "workflow-name" }, "Workflow name"), nameInput),
      h("div", { class: "field grow" }, h("label", { for: "workflow-description" }, "Description"), descriptionInput),
    ),
    h(
      "div",
      { class: "builder" },
      palette,
      h(
        "section",
        { class: "card graph-card", "aria-labelledby": "builder-graph-title" },
        h("div", { class: "page-head" }, h("h2", { id: "builder-graph-title" }, "Graph"), edgeTools),
        h(
          "p",
          { class: "hint" },
          "Drag from a node's right handle to another node's left handle to connect them; drag a node to move it. With the keyboard: Tab to a node, Enter opens it, arrow keys move it, and its parents are chosen in the node panel.",
        ),
        notice,
        canvas,
      ),
      inspector,
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "json-title" },
      h("h2", { id: "json-title" }, "JSON"),
      h("label", { for: "definition" }, "Workflow definition (JSON)"),
      h(
        "p",
        { class: "hint", id: "editor-help" },
        "The same definition as the graph: edits here redraw the graph, edits on the graph rewrite this text.",
        existing ? " Keep \"version\": it guards against overwriting someone else's change." : "",
      ),
      editor,
      jsonError,
    ),
  );
  render({ json: true });
}
