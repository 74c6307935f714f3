// Pending approvals: what each waiting run holds, approved or rejected by the digest of what is shown.

import { api } from "../api.js";
import { actionButton, formatCost, formatDate, formatNumber, h, pretty, replaceKeepingPlace } from "../dom.js";

/**
 * A budget approval's fields for the run's new budget. Approving without raising it would pause the
 * node again at once, so a budget is approved only with a raise.
 */
function budgetFields(item) {
  const key = `${item.execution_id}-${item.node_id}`.replace(/[^a-zA-Z0-9_-]/g, "-");
  const current = item.payload?.budget ?? {};
  const spent = item.payload?.spent ?? {};
  const tokens = h("input", { id: `raise-tokens-${key}`, type: "number", min: "1", step: "1", inputmode: "numeric" });
  const cost = h("input", { id: `raise-cost-${key}`, type: "number", min: "0", step: "any", inputmode: "decimal" });
  const element = h(
    "div",
    { class: "budget-raise" },
    h(
      "p",
      { class: "hint" },
      `Budget ${current.max_tokens ? `${formatNumber(current.max_tokens)} tokens` : "no token limit"}, ${current.max_cost_usd ? formatCost(current.max_cost_usd) : "no cost limit"}; spent ${formatNumber(spent.tokens)} tokens, ${formatCost(spent.cost_usd)}. Approve with a higher limit:`,
    ),
    h("div", { class: "filters" }, h("div", { class: "field" }, h("label", { for: tokens.id }, "New token budget"), tokens), h("div", { class: "field" }, h("label", { for: cost.id }, "New cost budget (USD)"), cost)),
  );
  const raise = () => {
    // The API replaces the budget: a limit left blank keeps its current value, not none at all.
    const raised = { ...current };
    if (tokens.value !== "") raised.max_tokens = Number(tokens.value);
    if (cost.value !== "") raised.max_cost_usd = Number(cost.value);
    const higher =
      (current.max_tokens !== undefined && raised.max_tokens > current.max_tokens) ||
      (current.max_cost_usd !== undefined && raised.max_cost_usd > current.max_cost_usd);
    if (!higher) throw new Error("Enter a token or cost budget above the current one to let the node continue.");
    return raised;
  };
  return { element, raise };
}

function approvalCard(context, item, refresh) {
  const alert = h("div", { class: "alert", role: "alert" });
  // The decision carries the digest of the payload on screen: it cannot release anything else.
  const budget = item.reason === "budget" ? budgetFields(item) : null;
  const decide = (decision) => async () => {
    const body = { decision, payload_digest: item.payload_digest };
    if (budget && decision === "approve") body.raise_budget = budget.raise();
    await api.decideApproval(item.execution_id, item.node_id, body);
    context.announce(`${decision === "approve" ? "Approved" : "Rejected"} ${item.node_id}.`);
    await refresh();
  };
  return h(
    "li",
    { class: "card approval", "data-key": `${item.execution_id}/${item.node_id}` },
    h(
      "h2",
      {},
      h("code", {}, item.node_id),
      " in ",
      h("a", { href: `#/executions/${encodeURIComponent(item.execution_id)}` }, h("code", {}, item.execution_id)),
    ),
    h("p", {}, item.message),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Reason"),
      h("dd", {}, item.reason === "budget" ? "budget (the next model call could pass the run's budget)" : "approval node"),
      h("dt", {}, "Requested"),
      h("dd", {}, formatDate(item.requested_at)),
      h("dt", {}, "Expires"),
      h("dd", {}, formatDate(item.expires_at)),
      h("dt", {}, "Digest"),
      h("dd", {}, h("code", {}, item.payload_digest)),
    ),
    h("details", { open: true }, h("summary", {}, "Payload"), h("pre", { class: "json", tabindex: "0" }, pretty(item.payload))),
    budget?.element,
    alert,
    h(
      "span",
      { class: "actions" },
      actionButton("Approve", {}, decide("approve"), alert),
      actionButton("Reject", { class: "danger" }, decide("reject"), alert),
    ),
  );
}

export async function approvalsPage(context) {
  context.setTitle("Approvals");
  const list = h("div", { id: "approvals-list" });
  let shown = null;
  const refresh = async () => {
    const { approvals } = await api.approvals({ status: "pending", limit: 100 });
    if (context.left) return false;
    // Redrawn only when the pending set changes: a budget being typed into a card must survive the poll.
    const listed = JSON.stringify(approvals.map((item) => [item.execution_id, item.node_id, item.payload_digest]));
    if (listed === shown) return true;
    shown = listed;
    replaceKeepingPlace(
      list,
      approvals.length
        ? h("ul", { class: "catalog", "aria-label": "Pending approvals" }, approvals.map((item) => approvalCard(context, item, refresh)))
        : h("p", { class: "empty" }, "Nothing is waiting for a decision."),
    );
    return true;
  };
  context.main.replaceChildren(
    h("h1", {}, "Approvals"),
    h("p", { class: "lead" }, "Runs waiting for a person, oldest first. Approving passes the payload on unchanged."),
    list,
  );
  await refresh();
  context.every(2000, refresh);
}
