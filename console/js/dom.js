// Building the page from API data: text always goes in as text (never as HTML).

const SVG_NS = "http://www.w3.org/2000/svg";

function build(element, attrs, children) {
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === "dataset") {
      Object.assign(element.dataset, value);
    } else if (name === "style") {
      Object.assign(element.style, value);
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** An HTML element: h("a", {href: "#/"}, "text", otherNode). */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** An SVG element. */
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

export function formatDate(value) {
  if (!value) return "—";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString();
}

export function formatDuration(ms) {
  if (ms === undefined || ms === null) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function formatCost(usd) {
  if (usd === undefined || usd === null) return "—";
  return `$${Number(usd).toFixed(Number(usd) < 0.01 && Number(usd) > 0 ? 6 : 4)}`;
}

export function formatNumber(value) {
  return value === undefined || value === null ? "—" : Number(value).toLocaleString();
}

/** A size in bytes, in the binary units the API's limits use (4 MiB, 100 MiB). */
export function formatBytes(bytes) {
  if (bytes === undefined || bytes === null) return "—";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

export function statusBadge(status) {
  return h("span", { class: `badge status-${status}` }, status);
}

export function pretty(value) {
  return JSON.stringify(value, null, 2);
}

/** A labelled <select> of [value, text] options, for a .field. */
export function select(id, label, options, value) {
  return [
    h("label", { for: id }, label),
    h(
      "select",
      { id, name: id },
      options.map(([optionValue, text]) => h("option", { value: optionValue, selected: optionValue === value }, text)),
    ),
  ];
}

/** A table with a caption; rows are arrays of cells (nodes or text). */
export function table(caption, headers, rows, attrs = {}) {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      attrs,
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, headers.map((header) => h("th", { scope: "col" }, header)))),
      h("tbody", {}, rows.map((row) => h("tr", {}, row.map((cell) => h("td", {}, cell))))),
    ),
  );
}

/** The API's error (message and details) as a list of nodes for an alert region's replaceChildren. */
export function errorContent(error) {
  const details = Array.isArray(error.details) ? error.details : [];
  const message = h("p", { class: "error-message" }, error.message);
  // Never a null: replaceChildren(null) would write the word "null".
  if (!details.length) return [message];
  return [message, h("ul", { class: "error-details" }, details.map((item) => h("li", {}, typeof item === "string" ? item : JSON.stringify(item))))];
}

/**
 * Replace a container's content without losing the reader's place: the focused element and open
 * <details> are found again by their data-key in the new content.
 */
export function replaceKeepingPlace(container, ...content) {
  const focusedKey = container.contains(document.activeElement) ? document.activeElement?.dataset?.key : undefined;
  const openKeys = new Set([...container.querySelectorAll("details[open][data-key]")].map((item) => item.dataset.key));
  container.replaceChildren(...content.flat().filter((item) => item !== null && item !== undefined));
  for (const details of container.querySelectorAll("details[data-key]")) {
    if (openKeys.has(details.dataset.key)) details.open = true;
  }
  if (focusedKey) container.querySelector(`[data-key="${CSS.escape(focusedKey)}"]`)?.focus();
}

/** Run an API action, showing its failure in the given alert region (a 401 signs out instead). */
export async function showingFailure(alert, action) {
  alert.replaceChildren();
  try {
    await action();
  } catch (error) {
    if (error?.status !== 401) alert.replaceChildren(...errorContent(error));
  }
}

/** A button that runs an API action and shows its failure in the given alert region. */
export function actionButton(label, attrs, action, alert) {
  return h("button", { type: "button", ...attrs, onclick: () => showingFailure(alert, action) }, label);
}
