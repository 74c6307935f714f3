// Pending approvals: what each waiting run holds, approved or rejected by the digest of what is shown.

import { api } from "../api.js";
import { actionButton, formatDate, h, pretty, replaceKeepingPlace } from "../dom.js";

function approvalCard(context, item, refresh) {
  const alert = h("div", { class: "alert", role: "alert" });
  // The decision carries the digest of the payload on screen: it cannot release anything else.
  const decide = (decision) => async () => {
    await api.decideApproval(item.execution_id, item.node_id, { decision, payload_digest: item.payload_digest });
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
  const refresh = async () => {
    const { approvals } = await api.approvals({ status: "pending", limit: 100 });
    if (context.left) return false;
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
