// Workflows: the list, one workflow (its graph, a run form, its schedules) and the JSON editor.

import { api } from "../api.js";
import { dagSvg } from "../dag.js";
import { actionButton, errorContent, formatDate, h, pretty, replaceKeepingPlace, table } from "../dom.js";

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
      : h("p", { class: "empty" }, "No workflows yet. Create one from JSON, or with the API."),
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
  const schedules = await schedulesSection(context, workflow);
  if (context.left) return;
  context.main.replaceChildren(
    h(
      "div",
      { class: "page-head" },
      h("h1", {}, workflow.name),
      h(
        "span",
        { class: "actions" },
        h("a", { class: "button secondary", href: `#/workflows/${encodeURIComponent(workflow.id)}/edit` }, "Edit JSON"),
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
    workflow.description ? h("p", { class: "lead" }, workflow.description) : null,
    h(
      "section",
      { class: "card", "aria-labelledby": "graph-title" },
      h("h2", { id: "graph-title" }, "Graph"),
      h("div", { class: "dag-wrap" }, dagSvg(workflow)),
      h("p", { class: "hint" }, "Execution order: ", (workflow.execution_order ?? []).join(" → ")),
    ),
    runForm(context, workflow),
    schedules,
  );
}

const NEW_WORKFLOW = {
  name: "New workflow",
  description: "",
  agents: [
    { id: "deals", type: "sales_intelligence", config: { stage: "Negotiation", min_amount: 100000, close_quarter: "Q4" } },
    { id: "emails", type: "email_outreach", config: { max_emails: 5 } },
  ],
  edges: [{ source: "deals", target: "emails" }],
};

export async function editorPage(context, workflowId) {
  const existing = workflowId ? await api.workflow(workflowId) : null;
  const { agent_types: agentTypes } = await api.agentTypes();
  context.setTitle(existing ? `Edit ${existing.name}` : "New workflow");
  const definition = existing
    ? {
        name: existing.name,
        description: existing.description ?? "",
        agents: existing.agents,
        edges: existing.edges,
        version: existing.version,
      }
    : NEW_WORKFLOW;
  const errors = h("div", { id: "editor-errors", class: "alert", role: "alert" });
  const editor = h(
    "textarea",
    {
      id: "definition",
      class: "code-editor",
      rows: 24,
      spellcheck: "false",
      autocapitalize: "off",
      "aria-describedby": "editor-help editor-errors",
    },
    pretty(definition),
  );
  const save = h("button", { type: "submit" }, existing ? "Save changes" : "Create workflow");
  const form = h(
    "form",
    {
      class: "editor-form",
      "aria-labelledby": "editor-title",
      onsubmit: async (event) => {
        event.preventDefault();
        errors.replaceChildren();
        let body;
        try {
          body = JSON.parse(editor.value);
        } catch (error) {
          errors.replaceChildren(h("p", { class: "error-message" }, `The definition is not valid JSON: ${error.message}`));
          editor.focus();
          return;
        }
        save.disabled = true;
        try {
          const saved = existing ? await api.updateWorkflow(existing.id, body) : await api.createWorkflow(body);
          context.announce(`Workflow ${saved.name} saved (version ${saved.version}).`);
          context.navigate(`#/workflows/${encodeURIComponent(saved.id)}`);
        } catch (error) {
          if (error.status === 401) return;
          errors.replaceChildren(h("p", { class: "error-code" }, `${error.status} ${error.code}`), ...errorContent(error));
          save.disabled = false;
        }
      },
    },
    h("label", { for: "definition" }, "Workflow definition (JSON)"),
    editor,
    h(
      "span",
      { class: "actions" },
      save,
      h("a", { class: "button secondary", href: existing ? `#/workflows/${encodeURIComponent(existing.id)}` : "#/workflows" }, "Cancel"),
    ),
  );
  context.main.replaceChildren(
    h("h1", { id: "editor-title" }, existing ? `Edit ${existing.name}` : "New workflow"),
    h(
      "div",
      { class: "editor-layout" },
      form,
      h(
        "aside",
        { class: "card editor-side", "aria-labelledby": "validation-title" },
        h("h2", { id: "validation-title" }, "Validation"),
        errors,
        h(
          "p",
          { id: "editor-help", class: "hint" },
          "The API checks the graph (no cycles, no unknown ids) and each agent's config; its messages appear here.",
          existing ? " Keep \"version\": it guards against overwriting someone else's change." : "",
        ),
        h("h3", {}, "Agent types"),
        h(
          "ul",
          { class: "type-list" },
          agentTypes.map((agentType) =>
            h("li", {}, h("a", { href: `#/agents`, title: agentType.description }, h("code", {}, agentType.type)), ` ${agentType.name}`),
          ),
        ),
      ),
    ),
  );
}
