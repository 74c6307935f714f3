// Executions: the list with live status, and one execution (its live graph, timeline, metrics, outputs,
// error, logs).

import { api } from "../api.js";
import {
  actionButton,
  formatCost,
  formatDate,
  formatDuration,
  formatNumber,
  h,
  pretty,
  replaceKeepingPlace,
  select,
  statusBadge,
  table,
} from "../dom.js";
import { NODE_HEIGHT, dagSvg } from "../dag.js";
import { ganttChart } from "../gantt.js";

const STATUSES = ["pending", "running", "waiting_approval", "completed", "failed", "cancelled", "timed_out"];
const NODE_LABELS = { reused: "reused on resume", waiting_approval: "waiting for approval" };
const RESUMABLE = new Set(["failed", "cancelled", "timed_out"]);
const TERMINAL = new Set(["completed", "failed", "cancelled", "timed_out"]);
const LEVELS = ["DEBUG", "INFO", "WARN", "ERROR"];

function resumedTimes(count) {
  return count === 1 ? "once" : count === 2 ? "twice" : `${count} times`;
}

function durationOf(execution) {
  if (execution.metrics?.duration_ms !== undefined && execution.metrics?.duration_ms !== null) return execution.metrics.duration_ms;
  if (!execution.started_at) return null;
  const end = execution.completed_at ? Date.parse(execution.completed_at) : Date.now();
  return end - Date.parse(execution.started_at);
}

export async function executionsPage(context) {
  context.setTitle("Executions");
  const workflowId = context.query.get("workflow_id") ?? "";
  let status = context.query.get("status") ?? "";
  const list = h("div", { id: "executions-list", "aria-live": "off" });
  const summary = h("p", { class: "hint", role: "status" });
  const { workflows } = await api.workflows({ limit: 100 });
  const names = new Map(workflows.map((workflow) => [workflow.id, workflow.name]));

  let latest = 0; // a poll that started before a filter change must not overwrite its answer
  const refresh = async () => {
    const asked = ++latest;
    const { executions } = await api.executions({ workflow_id: workflowId, status, limit: 50 });
    if (context.left) return false;
    if (asked !== latest) return true;
    const rows = executions.map((execution) => [
      h("a", { href: `#/executions/${encodeURIComponent(execution.id)}`, "data-key": execution.id }, h("code", {}, execution.id)),
      h("a", { href: `#/workflows/${encodeURIComponent(execution.workflow_id)}` }, names.get(execution.workflow_id) ?? execution.workflow_id),
      statusBadge(execution.status),
      execution.trigger?.type ?? "api",
      formatDate(execution.started_at),
      formatDuration(durationOf(execution)),
    ]);
    replaceKeepingPlace(
      list,
      executions.length
        ? table("Executions, newest first", ["Execution", "Workflow", "Status", "Trigger", "Started", "Duration"], rows, { id: "executions-table" })
        : h("p", { class: "empty" }, "No executions match."),
    );
    const active = executions.filter((execution) => !TERMINAL.has(execution.status)).length;
    const text = `${executions.length} ${executions.length === 1 ? "execution" : "executions"}${active ? `, ${active} running` : ""}.`;
    if (summary.textContent !== text) summary.textContent = text;
    return true;
  };

  const filters = h(
    "form",
    { class: "filters", "aria-label": "Filter executions", onsubmit: (event) => event.preventDefault() },
    h("div", { class: "field" }, select("status-filter", "Status", [["", "Any status"], ...STATUSES.map((item) => [item, item])], status)),
    workflowId
      ? h("p", {}, "Workflow ", h("a", { href: `#/workflows/${encodeURIComponent(workflowId)}` }, names.get(workflowId) ?? workflowId), " · ", h("a", { href: "#/executions" }, "all workflows"))
      : null,
  );
  filters.querySelector("#status-filter").addEventListener("change", async (event) => {
    status = event.target.value;
    await refresh();
  });
  await refresh();
  context.main.replaceChildren(h("h1", {}, "Executions"), filters, summary, list);
  context.every(2000, refresh);
}

function outputSummary(output) {
  if (output === null || output === undefined) return "no output";
  if (typeof output !== "object") return JSON.stringify(output).slice(0, 80);
  const parts = Object.entries(output).map(([key, value]) => {
    if (Array.isArray(value)) return `${key}: ${value.length} items`;
    if (value !== null && typeof value === "object") return `${key}: {…}`;
    return `${key}: ${JSON.stringify(value)}`.slice(0, 60);
  });
  return parts.slice(0, 4).join(" · ") || "{}";
}

function metricsTable(execution) {
  const perAgent = execution.metrics?.per_agent ?? {};
  const rows = (execution.agent_executions ?? []).map((run) => {
    const metrics = perAgent[run.agent_id] ?? run;
    return [
      h("code", {}, run.agent_id),
      run.agent_type,
      statusBadge(nodeStatus(run, execution)),
      run.connector_mode ?? "—",
      formatNumber(metrics.tokens ?? run.tokens),
      formatCost(metrics.cost_usd ?? run.cost_usd),
      formatDuration(metrics.duration_ms ?? run.duration_ms),
    ];
  });
  const wrap = table("Per-agent and total metrics", ["Agent", "Type", "Status", "Connectors", "Tokens", "Cost", "Latency"], rows, { id: "metrics-table" });
  const totals = execution.metrics ?? {};
  wrap.querySelector("table").append(
    h(
      "tfoot",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "row", colspan: 4 }, "Total"),
        h("td", { "data-metric": "total-tokens" }, formatNumber(totals.total_tokens)),
        h("td", { "data-metric": "total-cost" }, formatCost(totals.total_cost_usd)),
        h("td", { "data-metric": "total-duration" }, formatDuration(durationOf(execution))),
      ),
    ),
  );
  return wrap;
}

function outputsList(execution) {
  const runs = execution.agent_executions ?? [];
  if (!runs.length) return h("p", { class: "empty" }, "No agent has run yet.");
  return h(
    "div",
    { class: "outputs" },
    runs.map((run) =>
      h(
        "details",
        { class: "agent-output", "data-key": `output-${run.agent_id}`, "data-agent": run.agent_id },
        h("summary", { "data-key": `summary-${run.agent_id}` }, h("code", {}, run.agent_id), ` (${run.agent_type}) — `, run.error ? "failed" : outputSummary(run.output)),
        run.error ? h("p", { class: "error-message" }, typeof run.error === "string" ? run.error : pretty(run.error)) : null,
        h("pre", { class: "json", tabindex: "0", "aria-label": `Output of ${run.agent_id}` }, pretty(run.output ?? null)),
      ),
    ),
  );
}

function attemptsTable(execution) {
  const attempts = execution.attempts ?? [];
  if (attempts.length < 2) return null;
  const rows = attempts.map((attempt) => [
    String(attempt.number),
    statusBadge(attempt.status),
    formatDate(attempt.started_at),
    formatDate(attempt.completed_at),
    attempt.rerun?.length ? attempt.rerun.map((id, index) => [index ? ", " : "", h("code", {}, id)]) : "—",
  ]);
  return table("Attempts, oldest first: the first run, then each resume", ["Attempt", "Status", "Started", "Completed", "Nodes run"], rows, { id: "attempts-table" });
}

/** Which nodes a resume answered from their stored results, and the tokens and cost it did not pay again. */
function reusedText(execution) {
  const reused = (execution.agent_executions ?? []).filter((run) => run.reused).map((run) => run.agent_id);
  if (!reused.length) return null;
  const { reused_tokens: tokens = 0, reused_cost_usd: cost = 0 } = execution.metrics ?? {};
  return `${reused.join(", ")}: ${formatNumber(tokens)} tokens, ${formatCost(cost)} not paid again`;
}

/** The run's budget beside what it has spent so far (every paid token once, reuse not counted again). */
function budgetText(execution) {
  const { max_tokens: maxTokens, max_cost_usd: maxCost } = execution.budget ?? {};
  const limits = [
    maxTokens !== undefined && maxTokens !== null ? `${formatNumber(maxTokens)} tokens` : null,
    maxCost !== undefined && maxCost !== null ? formatCost(maxCost) : null,
  ].filter(Boolean);
  if (!limits.length) return null;
  const spent = `${formatNumber(execution.metrics?.total_tokens ?? 0)} tokens, ${formatCost(execution.metrics?.total_cost_usd ?? 0)}`;
  return `at most ${limits.join(" and ")}; spent ${spent}`;
}

/** While approvals are pending: which nodes wait, and where a person decides. */
function waitingPanel(execution) {
  const waiting = (execution.agent_executions ?? []).filter((run) => run.approval?.status === "pending");
  if (!waiting.length) return null;
  return h(
    "section",
    { class: "alert waiting", "aria-labelledby": "waiting-title" },
    h("h2", { id: "waiting-title" }, "Waiting for a decision"),
    h(
      "p",
      {},
      waiting.map((run, index) => [index ? ", " : "", h("code", {}, run.agent_id), run.approval.reason === "budget" ? " (budget)" : ""]),
      waiting.length === 1 ? " waits" : " wait",
      " for approval. Decide on the ",
      h("a", { href: "#/approvals" }, "Approvals"),
      " page.",
    ),
  );
}

function errorPanel(execution) {
  if (!execution.error) return null;
  const { agent_id: agentId, type, message } = execution.error;
  return h(
    "section",
    { class: "alert failure", id: "execution-error", "aria-labelledby": "error-title" },
    h("h2", { id: "error-title" }, "Error"),
    h("p", {}, agentId ? ["Agent ", h("code", {}, agentId), " failed"] : "The run failed", type ? [" with ", h("code", {}, type)] : "", "."),
    h("p", { class: "error-message" }, message ?? ""),
  );
}

function logsSection(context, execution, agentIds, state) {
  const body = h("div", { id: "logs-list" });
  const count = h("p", { class: "hint", role: "status", id: "logs-count" });
  const form = h(
    "form",
    { class: "filters", "aria-label": "Filter logs", onsubmit: (event) => event.preventDefault() },
    h("div", { class: "field" }, select("log-level", "Level", [["", "All levels"], ...LEVELS.map((level) => [level, `${level} and above`])], state.level)),
    h("div", { class: "field" }, select("log-agent", "Agent", [["", "All agents"], ...agentIds.map((id) => [id, id])], state.agent)),
  );
  let latest = 0; // a poll that started before a filter change must not overwrite its answer
  const refresh = async () => {
    const asked = ++latest;
    const { logs } = await api.logs(execution.id, { level: state.level, agent_id: state.agent });
    if (context.left || asked !== latest) return;
    const rows = logs.map((line) => [
      h("time", { datetime: line.timestamp }, formatDate(line.timestamp)),
      h("span", { class: `level level-${line.level}` }, line.level),
      line.component ?? "",
      line.agent_id ? h("code", {}, line.agent_id) : "—",
      line.message,
    ]);
    replaceKeepingPlace(
      body,
      rows.length ? table("Execution logs", ["Time", "Level", "Component", "Agent", "Message"], rows, { id: "logs-table" }) : h("p", { class: "empty" }, "No log lines match."),
    );
    const text = `${logs.length} log ${logs.length === 1 ? "line" : "lines"}${state.level ? ` at ${state.level} and above` : ""}${state.agent ? ` from ${state.agent}` : ""}.`;
    if (count.textContent !== text) count.textContent = text;
  };
  form.addEventListener("change", async (event) => {
    if (event.target.id === "log-level") state.level = event.target.value;
    if (event.target.id === "log-agent") state.agent = event.target.value;
    await refresh();
  });
  return {
    refresh,
    element: h("section", { class: "card", "aria-labelledby": "logs-title" }, h("h2", { id: "logs-title" }, "Logs"), form, count, body),
  };
}

/** A node's status on the graph: a run reused on resume, and a node that never ran in an ended execution, say so. */
export function nodeStatus(run, execution) {
  const ended = TERMINAL.has(execution.status);
  if (!run) return ended ? "skipped" : "pending";
  if (run.reused) return "reused";
  if (run.status === "pending" && ended) return "skipped";
  return run.status;
}

function nodeFigures(run) {
  if (!run) return "";
  return [formatDuration(run.duration_ms), `${formatNumber(run.tokens)} tok`, formatCost(run.cost_usd)].join(" · ");
}

/** The workflow's graph with each node's status, connector mode, duration, tokens and cost in `execution`. */
export function executionGraph(workflow, execution, selected) {
  const runs = new Map((execution.agent_executions ?? []).map((run) => [run.agent_id, run]));
  return dagSvg(workflow, {
    role: "group",
    label: "Execution graph",
    nodeHeight: NODE_HEIGHT + 58,
    nodeAttrs: (agent) => {
      const run = runs.get(agent.id);
      const status = nodeStatus(run, execution);
      return {
        class: ["run-node", `node-${status}`, agent.id === selected ? "selected" : null].filter(Boolean).join(" "),
        "data-status": status,
        tabindex: "0",
        role: "button",
        "aria-pressed": agent.id === selected ? "true" : "false",
        "aria-label": `${agent.id} (${agent.type}): ${NODE_LABELS[status] ?? status}${run ? `, ${nodeFigures(run)}` : ""}. Show its output and logs.`,
        title: `${agent.id}: ${NODE_LABELS[status] ?? status}`,
      };
    },
    lines: (agent) => {
      const run = runs.get(agent.id);
      const status = nodeStatus(run, execution);
      return [
        { text: `● ${NODE_LABELS[status] ?? status}`, class: `dag-status status-text-${status}` },
        // A line of its own: beside the longer statuses it would run past the node's edge.
        { text: run?.connector_mode ? `${run.connector_mode} connectors` : " ", class: `dag-mode mode-${run?.connector_mode ?? "none"}` },
        { text: nodeFigures(run) || " ", class: "dag-figures" },
      ];
    },
  });
}

function nodeDetail(agentId, agentType, run, execution, logLines) {
  const status = nodeStatus(run, execution);
  const facts = [
    ["Status", h("span", { class: `badge status-${status}` }, NODE_LABELS[status] ?? status)],
    ["Started", formatDate(run?.started_at)],
    ["Duration", formatDuration(run?.duration_ms)],
    ["Tokens", formatNumber(run?.tokens)],
    ["Cost", formatCost(run?.cost_usd)],
    run?.connector_mode ? ["Connectors", run.connector_mode] : null,
    run?.attempts ? ["Attempts", String(run.attempts)] : null,
    run?.batches ? ["Batches", `${run.batches.completed ?? 0} of ${run.batches.total ?? 0} done, ${run.batches.failed ?? 0} failed`] : null,
    run?.approval ? ["Approval", `${run.approval.status ?? ""}${run.approval.reason ? `: ${run.approval.reason}` : ""}${run.approval.message ? ` — ${run.approval.message}` : ""}`] : null,
  ].filter(Boolean);
  const rows = logLines.map((line) => [h("time", { datetime: line.timestamp }, formatDate(line.timestamp)), h("span", { class: `level level-${line.level}` }, line.level), line.message]);
  return h(
    "section",
    { class: "card node-detail", id: "node-detail", "aria-labelledby": "node-detail-title", "data-agent": agentId },
    h("h3", { id: "node-detail-title", tabindex: "-1" }, "Node ", h("code", {}, agentId), ` (${agentType})`),
    h("dl", { class: "facts" }, facts.map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)])),
    run?.error ? h("p", { class: "error-message", id: "node-error" }, typeof run.error === "string" ? run.error : `${run.error.type ?? "Error"}: ${run.error.message ?? ""}`) : null,
    h("h4", {}, "Output"),
    h("pre", { class: "json", tabindex: "0", id: "node-output", "aria-label": `Output of ${agentId}` }, pretty(run?.output ?? null)),
    h("h4", {}, "Logs"),
    rows.length ? table(`Logs of ${agentId}`, ["Time", "Level", "Message"], rows, { id: "node-logs" }) : h("p", { class: "empty", id: "node-logs" }, "No log lines from this node."),
  );
}

export async function executionPage(context, executionId) {
  context.setTitle(executionId);
  let execution = await api.execution(executionId);
  const statusLine = h("p", { class: "status-line", role: "status", "aria-live": "polite", id: "execution-status" });
  const details = h("div", { id: "execution-details" });
  const failure = h("div", { id: "execution-failure" });
  const waiting = h("div", { id: "execution-waiting" });
  const attempts = h("div", { id: "attempts" });
  const timeline = h("div", { id: "timeline" });
  const metrics = h("div", { id: "metrics" });
  const outputs = h("div", { id: "outputs" });
  const finalOutput = h("div", { id: "final-output" });
  const actionError = h("div", { class: "alert", role: "alert" });
  const stop = actionButton(
    "Stop",
    { class: "danger" },
    async () => {
      await api.stopExecution(execution.id);
      context.announce("Stop requested.");
      await refresh();
    },
    actionError,
  );
  // Resuming runs what did not complete as a new attempt; completed agents keep their results.
  const resume = actionButton(
    "Resume",
    { id: "resume-execution" },
    async () => {
      await api.resumeExecution(execution.id);
      context.announce("Resumed: a new attempt runs what did not complete.");
      if (await refresh()) context.every(1000, refresh);
    },
    actionError,
  );
  // The workflow names every agent, also those that have not run yet; a deleted one leaves the runs.
  const workflow = await api.workflow(execution.workflow_id).catch(() => null);
  const agentIds = workflow?.agents.map((agent) => agent.id) ?? (execution.agent_executions ?? []).map((run) => run.agent_id);
  const logs = logsSection(context, execution, agentIds, { level: "", agent: "" });
  // The graph is the version that ran; a deleted workflow leaves the runs, drawn without edges.
  const ran =
    (await api.workflowVersion(execution.workflow_id, execution.workflow_version).catch(() => null)) ??
    workflow ?? { agents: (execution.agent_executions ?? []).map((run) => ({ id: run.agent_id, type: run.agent_type })), edges: [] };
  const graph = h("div", { class: "dag-wrap", id: "execution-graph" });
  const detail = h("div", { id: "node-detail-wrap" });
  let selected = null;
  const drawGraph = () => replaceKeepingPlace(graph, executionGraph(ran, execution, selected));
  const drawDetail = async () => {
    if (!selected) return detail.replaceChildren(h("p", { class: "hint" }, "Click a node (or Tab to it and press Enter) to see its output, error and logs."));
    const agentId = selected;
    const { logs: lines } = await api.logs(execution.id, { agent_id: agentId });
    if (context.left || agentId !== selected) return;
    const run = (execution.agent_executions ?? []).find((item) => item.agent_id === agentId);
    const agentType = ran.agents.find((agent) => agent.id === agentId)?.type ?? run?.agent_type ?? "";
    replaceKeepingPlace(detail, nodeDetail(agentId, agentType, run, execution, lines));
  };
  const choose = async (agentId) => {
    selected = agentId;
    drawGraph();
    await drawDetail();
    detail.querySelector("h3")?.focus();
  };
  graph.addEventListener("click", (event) => {
    const node = event.target.closest?.(".dag-node");
    if (node) choose(node.dataset.node);
  });
  graph.addEventListener("keydown", (event) => {
    const node = event.target.closest?.(".dag-node");
    if (node && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      choose(node.dataset.node);
    }
  });

  const refresh = async () => {
    const [fresh, entries] = await Promise.all([api.execution(executionId), api.timeline(executionId)]);
    if (context.left) return false;
    execution = fresh;
    const statusText = `Status: ${execution.status}`;
    if (statusLine.textContent !== statusText) statusLine.replaceChildren("Status: ", statusBadge(execution.status));
    stop.hidden = TERMINAL.has(execution.status);
    resume.hidden = !RESUMABLE.has(execution.status);
    replaceKeepingPlace(
      details,
      h(
        "dl",
        { class: "facts" },
        h("dt", {}, "Workflow"),
        h("dd", {}, h("a", { href: `#/workflows/${encodeURIComponent(execution.workflow_id)}` }, execution.workflow_id), ` (version ${execution.workflow_version})`),
        h("dt", {}, "Trigger"),
        h("dd", {}, execution.trigger?.type ?? "api"),
        h("dt", {}, "Started"),
        h("dd", {}, formatDate(execution.started_at)),
        h("dt", {}, "Completed"),
        h("dd", {}, formatDate(execution.completed_at)),
        h("dt", {}, "Input"),
        h("dd", {}, h("code", {}, JSON.stringify(execution.input))),
        execution.attempts?.length > 1 ? [h("dt", {}, "Attempts"), h("dd", {}, `${execution.attempts.length} (resumed ${resumedTimes(execution.attempts.length - 1)})`)] : null,
        reusedText(execution) ? [h("dt", {}, "Reused on resume"), h("dd", { "data-metric": "reused-tokens" }, reusedText(execution))] : null,
        budgetText(execution) ? [h("dt", {}, "Budget"), h("dd", { "data-metric": "budget" }, budgetText(execution))] : null,
      ),
    );
    replaceKeepingPlace(failure, errorPanel(execution));
    replaceKeepingPlace(waiting, waitingPanel(execution));
    replaceKeepingPlace(attempts, attemptsTable(execution));
    drawGraph();
    await drawDetail();
    replaceKeepingPlace(timeline, ganttChart(entries.timeline));
    replaceKeepingPlace(metrics, metricsTable(execution));
    replaceKeepingPlace(outputs, outputsList(execution));
    replaceKeepingPlace(
      finalOutput,
      TERMINAL.has(execution.status)
        ? h("pre", { class: "json", tabindex: "0", id: "execution-output", "aria-label": "Workflow output" }, pretty(execution.output ?? null))
        : h("p", { class: "empty" }, "Not finished yet."),
    );
    await logs.refresh();
    return !TERMINAL.has(execution.status);
  };

  context.main.replaceChildren(
    h("div", { class: "page-head" }, h("h1", {}, "Execution ", h("code", {}, executionId)), h("span", { class: "actions" }, resume, stop)),
    statusLine,
    actionError,
    details,
    attempts,
    waiting,
    failure,
    h(
      "section",
      { class: "card", "aria-labelledby": "graph-title" },
      h("h2", { id: "graph-title" }, "Graph"),
      h("p", { class: "hint" }, "Each node's live status, duration, tokens and cost; it follows the run until it ends."),
      graph,
      detail,
    ),
    h("section", { class: "card", "aria-labelledby": "timeline-title" }, h("h2", { id: "timeline-title" }, "Timeline"), timeline),
    h("section", { class: "card", "aria-labelledby": "metrics-title" }, h("h2", { id: "metrics-title" }, "Metrics"), metrics),
    h(
      "section",
      { class: "card", "aria-labelledby": "outputs-title" },
      h("h2", { id: "outputs-title" }, "Outputs"),
      h("h3", {}, "Workflow output"),
      finalOutput,
      h("h3", {}, "Each agent's output"),
      outputs,
    ),
    logs.element,
  );
  if (await refresh()) context.every(1000, refresh);
}
