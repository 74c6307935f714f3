// Documents for retrieval: upload (direct, or presigned for large files), the list with live status, and search.

import { api, putFile } from "../api.js";
import {
  actionButton,
  errorContent,
  formatBytes,
  formatDate,
  formatNumber,
  h,
  replaceKeepingPlace,
  select,
  showingFailure,
  statusBadge,
  table,
} from "../dom.js";

const PAGE_SIZE = 25;
// Up to 4 MiB the API takes the file itself (the Lambda payload limit); larger ones go to S3 presigned.
const DIRECT_LIMIT = 4 * 1024 * 1024;
// A presigned URL lives 15 minutes: an upload still awaited after that will not arrive, so is not polled.
const UPLOAD_URL_MS = 15 * 60 * 1000;
const TYPES = {
  "application/pdf": "PDF",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
  "text/plain": "TXT",
  "text/markdown": "Markdown",
};
const ACCEPT = [".pdf", ".docx", ".txt", ".md", ".markdown", ...Object.keys(TYPES)].join(",");

function settling(doc) {
  if (doc.status === "processing") return true;
  return doc.status === "awaiting_upload" && Date.now() - Date.parse(doc.created_at) < UPLOAD_URL_MS;
}

function plural(count, word) {
  return `${count} ${count === 1 ? word : `${word}s`}`;
}

/** Send one file: multipart/form-data to the API, or a presigned PUT with exactly its headers. */
async function uploadFile(file, workflowId) {
  if (file.size <= DIRECT_LIMIT) {
    const form = new FormData();
    form.append("file", file, file.name);
    if (workflowId) form.append("workflow_id", workflowId);
    return api.uploadDocument(form);
  }
  const ticket = await api.createUpload({ filename: file.name, size_bytes: file.size, workflow_id: workflowId || undefined });
  try {
    await putFile(ticket.upload_url, ticket.upload_headers, file);
  } catch (error) {
    // The file never arrived: leave no document waiting for it.
    await api.deleteDocument(ticket.document_id).catch(() => null);
    throw error;
  }
  return api.document(ticket.document_id);
}

function searchResults(results) {
  if (!results.length) return h("p", { class: "empty" }, "No passage matches.");
  return h(
    "ol",
    { class: "search-results", id: "search-results", "aria-label": "Search results, best first" },
    results.map((result) => {
      const percent = Math.round(Math.min(Math.max(result.score, 0), 1) * 100);
      return h(
        "li",
        { class: "card search-hit" },
        h(
          "p",
          { class: "hit-head" },
          h(
            "span",
            { class: "score" },
            h("span", { class: "visually-hidden" }, "Relevance "),
            h("span", { class: "score-value" }, `${percent}%`),
            h("span", { class: "score-bar", "aria-hidden": "true" }, h("span", { style: { width: `${percent}%` } })),
          ),
          h("span", { class: "hit-file" }, result.filename),
          h("span", { class: "hit-page" }, `page ${result.page ?? "—"}`),
        ),
        h("blockquote", { class: "excerpt" }, result.excerpt),
      );
    }),
  );
}

export async function documentsPage(context) {
  context.setTitle("Documents");
  const { workflows } = await api.workflows({ limit: 100 });
  const names = new Map(workflows.map((workflow) => [workflow.id, workflow.name]));
  const workflowOptions = workflows.map((workflow) => [workflow.id, workflow.name]);
  let filter = context.query.get("workflow_id") ?? "";
  let documents = [];
  let nextToken = null;
  let polling = false;

  const list = h("div", { id: "documents-list", "aria-live": "off" });
  const summary = h("p", { class: "hint", role: "status", id: "documents-summary" });
  const listError = h("div", { class: "alert", role: "alert", id: "documents-error" });
  const listTitle = h("h2", { id: "documents-title", tabindex: "-1" }, "Your documents");

  const workflowCell = (workflowId) => {
    if (!workflowId) return "—";
    return h("a", { href: `#/workflows/${encodeURIComponent(workflowId)}` }, names.get(workflowId) ?? workflowId);
  };
  const deleteButton = (doc) =>
    actionButton(
      "Delete",
      { class: "danger", "data-key": `delete-${doc.id}`, "aria-label": `Delete ${doc.filename}` },
      async () => {
        if (!window.confirm(`Delete "${doc.filename}"? Search will no longer find its passages.`)) return;
        await api.deleteDocument(doc.id);
        documents = documents.filter((item) => item.id !== doc.id);
        render();
        context.announce(`${doc.filename} deleted.`);
        listTitle.focus();
      },
      listError,
    );

  const loadMore = actionButton("Load more", { class: "secondary", id: "documents-more" }, () => load(true), listError);

  function render() {
    const rows = documents.map((doc) => [
      h("span", { class: "filename", "data-document": doc.id }, doc.filename),
      TYPES[doc.content_type] ?? doc.content_type ?? "—",
      formatBytes(doc.size_bytes),
      [statusBadge(doc.status), doc.error ? h("p", { class: "error-message document-error" }, doc.error) : null],
      formatNumber(doc.pages),
      formatNumber(doc.chunks),
      workflowCell(doc.workflow_id),
      formatDate(doc.created_at),
      deleteButton(doc),
    ]);
    replaceKeepingPlace(
      list,
      documents.length
        ? table(
            "Documents, newest first",
            ["File", "Type", "Size", "Status", "Pages", "Chunks", "Workflow", "Uploaded", "Actions"],
            rows,
            { id: "documents-table" },
          )
        : h("p", { class: "empty" }, filter ? "No documents for this workflow." : "No documents yet. Upload one above."),
    );
    loadMore.hidden = !nextToken;
    const busy = documents.filter(settling).length;
    const text = `${plural(documents.length, "document")}${nextToken ? " shown" : ""}${busy ? `, ${busy} processing` : ""}.`;
    if (summary.textContent !== text) summary.textContent = text;
  }

  /** Follow the documents still being ingested until each is ready or failed (or the page is left). */
  function watch() {
    if (polling || !documents.some(settling)) return;
    polling = true;
    context.every(1500, async () => {
      const waiting = documents.filter(settling);
      const fresh = await Promise.all(
        waiting.map((doc) => api.document(doc.id).catch((error) => (error.status === 404 ? { id: doc.id, gone: true } : Promise.reject(error)))),
      );
      if (context.left) return false;
      for (const doc of fresh) {
        const before = documents.find((item) => item.id === doc.id);
        if (doc.gone) documents = documents.filter((item) => item.id !== doc.id);
        else documents = documents.map((item) => (item.id === doc.id ? doc : item));
        if (before && !doc.gone && before.status !== doc.status) {
          context.announce(
            doc.status === "ready"
              ? `${doc.filename} is ready: ${plural(doc.pages, "page")}, ${plural(doc.chunks, "chunk")}.`
              : `${doc.filename} is ${doc.status.replace("_", " ")}.${doc.error ? ` ${doc.error}` : ""}`,
          );
        }
      }
      render();
      polling = documents.some(settling);
      return polling;
    });
  }

  async function load(more = false) {
    const page = await api.documents({ workflow_id: filter, limit: PAGE_SIZE, next_token: more ? nextToken : undefined });
    if (context.left) return;
    const shown = new Set(documents.map((doc) => doc.id));
    documents = more ? [...documents, ...page.documents.filter((doc) => !shown.has(doc.id))] : page.documents;
    nextToken = page.next_token ?? null;
    render();
    watch();
  }

  // ---- upload
  const files = h("input", {
    id: "upload-files",
    type: "file",
    name: "file",
    multiple: true,
    required: true,
    accept: ACCEPT,
    "aria-describedby": "upload-help upload-error",
  });
  const uploadError = h("div", { class: "alert", role: "alert", id: "upload-error" });
  const uploadButton = h("button", { type: "submit" }, "Upload");
  const uploadForm = h(
    "form",
    {
      class: "filters upload-form",
      "aria-labelledby": "upload-title",
      onsubmit: async (event) => {
        event.preventDefault();
        const chosen = [...files.files];
        const workflowId = uploadForm.querySelector("#upload-workflow").value;
        uploadError.replaceChildren();
        uploadButton.disabled = true;
        context.announce(`Uploading ${plural(chosen.length, "file")}…`);
        const failures = [];
        let refused = 0;
        for (const file of chosen) {
          try {
            const doc = await uploadFile(file, workflowId);
            if (context.left) return;
            if (!filter || doc.workflow_id === filter) documents = [doc, ...documents.filter((item) => item.id !== doc.id)];
            render();
            watch();
          } catch (error) {
            if (error?.status === 401) return;
            refused += 1;
            failures.push(h("p", { class: "error-code" }, `${file.name}: ${error.status} ${error.code}`), ...errorContent(error));
          }
        }
        uploadButton.disabled = false;
        uploadError.replaceChildren(...failures);
        context.announce(`${plural(chosen.length - refused, "file")} uploaded${refused ? `, ${refused} refused` : ""}.`);
        if (!refused) files.value = "";
      },
    },
    h("div", { class: "field" }, h("label", { for: "upload-files" }, "Files"), files),
    h("div", { class: "field" }, select("upload-workflow", "Workflow (optional)", [["", "None (every workflow)"], ...workflowOptions], filter)),
    uploadButton,
  );

  // ---- search
  const query = h("input", { id: "search-query", type: "search", required: true, maxlength: 2000 });
  const topK = h("input", { id: "search-top-k", type: "number", min: 1, max: 50, value: 5, required: true });
  const searchStatus = h("p", { class: "hint", role: "status", id: "search-status" });
  const searchError = h("div", { class: "alert", role: "alert", id: "search-error" });
  const results = h("div", { id: "search-output" });
  const searchForm = h(
    "form",
    {
      class: "filters search-form",
      "aria-labelledby": "search-title",
      onsubmit: async (event) => {
        event.preventDefault();
        const workflowId = searchForm.querySelector("#search-workflow").value;
        await showingFailure(searchError, async () => {
          const found = await api.searchDocuments({ query: query.value.trim(), top_k: Number(topK.value), workflow_id: workflowId || undefined });
          if (context.left) return;
          results.replaceChildren(searchResults(found.results));
          searchStatus.textContent = `${plural(found.results.length, "passage")} found.`;
        });
      },
    },
    h("div", { class: "field grow" }, h("label", { for: "search-query" }, "Query"), query),
    h("div", { class: "field" }, h("label", { for: "search-top-k" }, "Results (1–50)"), topK),
    h("div", { class: "field" }, select("search-workflow", "Search in", [["", "All documents"], ...workflowOptions], filter)),
    h("button", { type: "submit" }, "Search"),
  );

  // ---- list filter
  const filterForm = h(
    "form",
    { class: "filters", "aria-label": "Filter documents", onsubmit: (event) => event.preventDefault() },
    h("div", { class: "field" }, select("documents-workflow", "Workflow", [["", "All documents"], ...workflowOptions], filter)),
  );
  filterForm.querySelector("#documents-workflow").addEventListener("change", async (event) => {
    filter = event.target.value;
    await showingFailure(listError, () => load());
  });

  await load();
  context.main.replaceChildren(
    h("h1", {}, "Documents"),
    h("p", { class: "lead" }, "Files agents retrieve from: their passages are embedded and searched, and every answer cites its page."),
    h(
      "section",
      { class: "card", "aria-labelledby": "upload-title" },
      h("h2", { id: "upload-title" }, "Upload"),
      h(
        "p",
        { id: "upload-help", class: "hint" },
        "PDF, DOCX, TXT or Markdown, up to 100 MiB each; the type is judged from the content. ",
        "A file given a workflow is searched only by that workflow.",
      ),
      uploadForm,
      uploadError,
    ),
    h("section", { "aria-labelledby": "documents-title", class: "documents" }, listTitle, filterForm, summary, listError, list, h("p", {}, loadMore)),
    h(
      "section",
      { class: "card", "aria-labelledby": "search-title" },
      h("h2", { id: "search-title" }, "Search"),
      searchForm,
      searchError,
      searchStatus,
      results,
    ),
  );
}
