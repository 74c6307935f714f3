// Workflows: the list, and one workflow (its graph, a run form, its versions and their diff, its schedules).

import { api } from "../api.js";
import { dagSvg } from "../dag.js";
import { diffWorkflows, isEmpty } from "../diff.js";
import { actionButton, errorContent, formatDate, h, replaceKeepingPlace, select, table } from "../dom.js";

/** Text typed as input: JSON when it parses, otherwise the text itself. */
export function parseInput(text) {
  const trimmed = text.trim();
  if (!trimmed) return null;
  try {
    return JSON.parse(trimmed);
  } catch {
    return text;
  }
}

export async function workflowsPage(context) {
  context.setTitle("Workflows");
  const { workflows } = await api.workflows({ limit: 100 });
  const rows = workflows.map((workflow) => [
    h("a", { href: `#/workflows/${encodeURIComponent(workflow.id)}` }, workflow.name),
    h("code", {}, workflow.id),
    String(workflow.agents.length),
    String(workflow.version),
    formatDate(workflow.updated_at),
  ]);
  context.main.replaceChildren(
    h(
      "div",
      { class: "page-head" },
      h("h1", {}, "Workflows"),
      h("a", { class: "button", href: "#/workflows/new" }, "New workflow"),
    ),
    workflows.length
      ? table("Your workflows", ["Name", "Id", "Agents", "Version", "Updated"], rows, { id: "workflows-table" })
      : h("p", { class: "empty" }, "No workflows yet. Build one with New workflow, or register one with the API."),
  );
}

function runForm(context, workflow) {
  const status = h("div", { class: "alert", role: "alert", id: "run-error" });
  const input = h("textarea", { id: "run-input", name: "input", rows: 3, "aria-describedby": "run-help run-error" });
  const button = h("button", { type: "submit" }, "Run workflow");
  return h(
    "form",
    {
      class: "card run-form",
      "aria-labelledby": "run-title",
      onsubmit: async (event) => {
        event.preventDefault();
        button.disabled = true;
        status.replaceChildren();
        try {
          const execution = await api.startExecution(workflow.id, parseInput(input.value));
          context.announce(`Execution ${execution.id} started.`);
          context.navigate(`#/executions/${encodeURIComponent(execution.id)}`);
        } catch (error) {
          status.replaceChildren(...errorContent(error));
          button.disabled = false;
        }
      },
    },
    h("h2", { id: "run-title" }, "Run"),
    h("label", { for: "run-input" }, "Run input"),
    input,
    h("p", { id: "run-help", class: "hint" }, "Sent as JSON when it parses as JSON, otherwise as text."),
    button,
    status,
  );
}

async function schedulesSection(context, workflow) {
  const section = h("section", { class: "card", "aria-labelledby": "schedules-title" });
  const list = h("div", { id: "schedules-list" });
  const formError = h("div", { class: "alert", role: "alert", id: "schedule-error" });

  const refresh = async () => {
    const { schedules } = await api.schedules(workflow.id);
    if (!schedules.length) {
      replaceKeepingPlace(list, h("p", { class: "empty" }, "No schedules."));
      return;
    }
    const rows = schedules.map((schedule) => [
      h("code", {}, schedule.expression),
      schedule.timezone,
      schedule.enabled ? "Enabled" : "Disabled",
      formatDate(schedule.next_run_at),
      h("code", {}, JSON.stringify(schedule.input)),
      h(
        "span",
        { class: "actions" },
        h(
          "button",
          {
            type: "button",
            class: "secondary",
            "data-key": `toggle-${schedule.id}`,
            "aria-label": `${schedule.enabled ? "Disable" : "Enable"} schedule ${schedule.expression}`,
            onclick: async () => {
              await act(() => api.updateSchedule(workflow.id, schedule.id, { enabled: !schedule.enabled }));
              context.announce(`Schedule ${schedule.expression} ${schedule.enabled ? "disabled" : "enabled"}.`);
            },
          },
          schedule.enabled ? "Disable" : "Enable",
        ),
        h(
          "button",
          {
            type: "button",
            class: "danger",
            "aria-label": `Delete schedule ${schedule.expression}`,
            onclick: async () => {
              await act(() => api.deleteSchedule(workflow.id, schedule.id));
              context.announce(`Schedule ${schedule.expression} deleted.`);
            },
          },
          "Delete",
        ),
      ),
    ]);
    replaceKeepingPlace(
      list,
      table("Schedules of this workflow", ["Expression", "Timezone", "State", "Next run (local time)", "Input", "Actions"], rows, {
        id: "schedules-table",
      }),
    );
  };
  const act = async (action) => {
    formError.replaceChildren();
    try {
      await action();
      await refresh();
    } catch (error) {
      formError.replaceChildren(...errorContent(error));
    }
  };

  const expression = h("input", { id: "schedule-expression", required: true, placeholder: "rate(1 hour)", "aria-describedby": "schedule-help schedule-error" });
  const timezone = h("input", { id: "schedule-timezone", value: "UTC", required: true });
  const input = h("input", { id: "schedule-input" });
  const enabled = h("input", { id: "schedule-enabled", type: "checkbox", checked: true });
  const form = h(
    "form",
    {
      class: "schedule-form",
      "aria-label": "New schedule",
      onsubmit: async (event) => {
        event.preventDefault();
        await act(async () => {
          await api.createSchedule(workflow.id, {
            expression: expression.value.trim(),
            timezone: timezone.value.trim() || "UTC",
            input: parseInput(input.value),
            enabled: enabled.checked,
          });
          context.announce("Schedule created.");
          expression.value = "";
        });
      },
    },
    h("div", { class: "field" }, h("label", { for: "schedule-expression" }, "Expression"), expression),
    h("div", { class: "field" }, h("label", { for: "schedule-timezone" }, "Timezone (IANA)"), timezone),
    h("div", { class: "field" }, h("label", { for: "schedule-input" }, "Schedule input"), input),
    h("div", { class: "field checkbox" }, enabled, h("label", { for: "schedule-enabled" }, "Enabled")),
    h("button", { type: "submit" }, "Add schedule"),
  );
  section.append(
    h("h2", { id: "schedules-title" }, "Schedules"),
    list,
    h("h3", {}, "New schedule"),
    h(
      "p",
      { id: "schedule-help", class: "hint" },
      "EventBridge Scheduler expressions: cron(0 8 ? * MON-FRI *), rate(5 minutes) or at(2030-01-01T09:00:00), in the timezone given.",
    ),
    form,
    formError,
  );
  await refresh();
  return section;
}

export async function workflowPage(context, workflowId) {
  const workflow = await api.workflow(workflowId);
  context.setTitle(workflow.name);
  const deleteError = h("div", { class: "alert", role: "alert" });
  const remove = actionButton(
    "Delete",
    { class: "danger" },
    async () => {
      if (!window.confirm(`Delete the workflow "${workflow.name}" with its schedules and webhook?`)) return;
      await api.deleteWorkflow(workflow.id);
      context.announce(`Workflow ${workflow.name} deleted.`);
      context.navigate("#/workflows");
    },
    deleteError,
  );
  const [schedules, versions] = await Promise.all([schedulesSection(context, workflow), versionsSection(workflow)]);
  if (context.left) return;
  context.main.replaceChildren(
    h(
      "div",
      { class: "page-head" },
      h("h1", {}, workflow.name),
      h(
        "span",
        { class: "actions" },
        h("a", { class: "button secondary", href: `#/workflows/${encodeURIComponent(workflow.id)}/edit` }, "Edit"),
        h("a", { class: "button secondary", href: `#/executions?workflow_id=${encodeURIComponent(workflow.id)}` }, "Executions"),
        h("a", { class: "button secondary", href: `#/documents?workflow_id=${encodeURIComponent(workflow.id)}` }, "Documents"),
        remove,
      ),
    ),
    deleteError,
    h(
      "p",
      { class: "meta" },
      h("code", {}, workflow.id),
      ` · version ${workflow.version} · updated ${formatDate(workflow.updated_at)}`,
    ),
    h("p", { class: "lead", hidden: !workflow.description }, workflow.description ?? ""),
    h(
      "section",
      { class: "card", "aria-labelledby": "graph-title" },
      h("h2", { id: "graph-title" }, "Graph"),
      h("div", { class: "dag-wrap" }, dagSvg(workflow)),
      h("p", { class: "hint" }, "Execution order: ", (workflow.execution_order ?? []).join(" → ")),
    ),
    runForm(context, workflow),
    versions,
    schedules,
  );
}

function shown(value) {
  return h("code", {}, value === undefined ? "—" : JSON.stringify(value));
}

/** The changes between two versions, as lists a person reads top to bottom. */
export function diffView(diff, before, after) {
  if (isEmpty(diff)) return h("p", { class: "empty", id: "diff-result" }, `No changes to nodes, config or edges between version ${before.version} and ${after.version}.`);
  const group = (title, key, items, line) =>
    items.length ? h("section", { class: `diff-group diff-${key}`, "data-diff": key }, h("h4", {}, `${title} (${items.length})`), h("ul", {}, items.map((item) => h("li", {}, line(item))))) : null;
  return h(
    "div",
    { id: "diff-result", class: "diff" },
    h("p", { class: "hint" }, `From version ${before.version} (${formatDate(before.updated_at)}) to version ${after.version} (${formatDate(after.updated_at)}).`),
    group("Nodes added", "nodes-added", diff.nodesAdded, (node) => [h("code", {}, node.id), ` (${node.type})`]),
    group("Nodes removed", "nodes-removed", diff.nodesRemoved, (node) => [h("code", {}, node.id), ` (${node.type})`]),
    group("Nodes retyped", "nodes-retyped", diff.nodesRetyped, (node) => [h("code", {}, node.id), `: ${node.from} → ${node.to}`]),
    group("Config fields changed", "config-changed", diff.configChanged, (change) => [
      h("code", {}, `${change.id}.${change.field}`),
      change.change === "added" ? [" added: ", shown(change.after)] : change.change === "removed" ? [" removed (was ", shown(change.before), ")"] : [": ", shown(change.before), " → ", shown(change.after)],
    ]),
    group("Edges added", "edges-added", diff.edgesAdded, (edge) => h("code", {}, `${edge.source} → ${edge.target}`)),
    group("Edges removed", "edges-removed", diff.edgesRemoved, (edge) => h("code", {}, `${edge.source} → ${edge.target}`)),
    h(
      "div",
      { class: "dag-wrap" },
      dagSvg(after, {
        label: `Version ${after.version}, changes marked`,
        nodeAttrs: (agent) => ({
          class: diff.nodesAdded.some((node) => node.id === agent.id)
            ? "diff-added"
            : diff.nodesRetyped.some((node) => node.id === agent.id) || diff.configChanged.some((change) => change.id === agent.id)
              ? "diff-changed"
              : null,
        }),
        edgeAttrs: (edge) => ({ class: diff.edgesAdded.some((added) => added.source === edge.source && added.target === edge.target) ? "diff-added" : null }),
      }),
    ),
  );
}

async function versionsSection(workflow) {
  const { versions } = await api.workflowVersions(workflow.id);
  const result = h("div", { id: "diff-output", "aria-live": "polite" });
  const error = h("div", { class: "alert", role: "alert", id: "diff-error" });
  const options = versions.map((version) => [String(version.version), `Version ${version.version}`]);
  const older = String(versions[1]?.version ?? versions[0]?.version ?? 1);
  const newer = String(versions[0]?.version ?? 1);
  const form = h(
    "form",
    {
      class: "filters",
      "aria-label": "Compare versions",
      onsubmit: async (event) => {
        event.preventDefault();
        error.replaceChildren();
        const from = Number(form.querySelector("#diff-from").value);
        const to = Number(form.querySelector("#diff-to").value);
        try {
          const [before, after] = await Promise.all([api.workflowVersion(workflow.id, from), api.workflowVersion(workflow.id, to)]);
          result.replaceChildren(diffView(diffWorkflows(before, after), before, after));
        } catch (problem) {
          if (problem?.status !== 401) error.replaceChildren(...errorContent(problem));
        }
      },
    },
    h("div", { class: "field" }, select("diff-from", "From version", options, older)),
    h("div", { class: "field" }, select("diff-to", "To version", options, newer)),
    h("button", { type: "submit" }, "Compare"),
  );
  const rows = versions.map((version) => [
    h("strong", {}, String(version.version)),
    version.name,
    formatDate(version.created_at),
    version.version === workflow.version ? "current" : "",
  ]);
  return h(
    "section",
    { class: "card", "aria-labelledby": "versions-title", id: "versions" },
    h("h2", { id: "versions-title" }, "Versions"),
    table("Versions of this workflow, newest first", ["Version", "Name", "Saved", ""], rows, { id: "versions-table" }),
    versions.length > 1 ? [h("h3", {}, "Compare two versions"), form, error, result] : h("p", { class: "hint" }, "Save a change to compare versions."),
  );
}
