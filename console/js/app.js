// The AgentFlow console: hash routes, sign-in, and the page lifecycle (polling stops when you leave).

import { session, setUnauthorizedHandler } from "./api.js";
import { h, errorContent } from "./dom.js";
import { agentsPage } from "./pages/agents.js";
import { approvalsPage } from "./pages/approvals.js";
import { documentsPage } from "./pages/documents.js";
import { executionPage, executionsPage } from "./pages/executions.js";
import { signInPage } from "./pages/signin.js";
import { builderPage } from "./pages/builder.js";
import { workflowPage, workflowsPage } from "./pages/workflows.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const signOut = document.getElementById("sign-out");
const announcer = document.getElementById("announcer");

const routes = [
  [/^\/agents$/, agentsPage],
  [/^\/workflows$/, workflowsPage],
  [/^\/workflows\/new$/, (context) => builderPage(context, null)],
  [/^\/workflows\/([^/]+)\/edit$/, builderPage],
  [/^\/workflows\/([^/]+)$/, workflowPage],
  [/^\/executions$/, executionsPage],
  [/^\/executions\/([^/]+)$/, executionPage],
  [/^\/documents$/, documentsPage],
  [/^\/approvals$/, approvalsPage],
];

let current = null;
let signInMessage = "";
let returnTo = "#/workflows";

/** Tell screen readers about a change (the status region is polite). */
export function announce(text) {
  announcer.textContent = text;
}

export function navigate(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

function leaveCurrent() {
  if (!current) return;
  current.left = true;
  for (const cleanup of current.cleanups) cleanup();
  current = null;
}

function pageContext(query) {
  const context = {
    query,
    cleanups: [],
    left: false,
    // A page that finishes loading after the reader moved on draws into a detached element.
    get main() {
      return context.left ? document.createElement("div") : main;
    },
    announce,
    navigate,
    /** Run fn every ms until the page is left or fn returns false. */
    every(ms, fn) {
      let timer = null;
      const tick = async () => {
        if (context.left) return;
        let again = true;
        try {
          again = (await fn()) !== false;
        } catch (error) {
          again = error?.status !== 401;
        }
        if (again && !context.left) timer = setTimeout(tick, ms);
      };
      timer = setTimeout(tick, ms);
      context.cleanups.push(() => clearTimeout(timer));
    },
    setTitle(title) {
      document.title = `${title} · AgentFlow`;
    },
  };
  return context;
}

function markSection(path) {
  const section = path.split("/")[1];
  for (const link of nav.querySelectorAll("a[data-section]")) {
    if (link.dataset.section === section) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

async function render() {
  const hash = location.hash || "#/workflows";
  if (!hash.startsWith("#/")) return; // in-page anchors such as the skip link
  const [path, search = ""] = hash.slice(1).split("?");
  leaveCurrent();
  const signedIn = Boolean(session.key);
  nav.hidden = !signedIn;
  signOut.hidden = !signedIn;
  if (!signedIn || path === "/signin") {
    if (path !== "/signin") returnTo = hash;
    const context = pageContext(new URLSearchParams(search));
    current = context;
    const message = signInMessage;
    signInMessage = "";
    signInPage(context, message, () => {
      const target = returnTo;
      returnTo = "#/workflows";
      navigate(target === "#/signin" ? "#/workflows" : target);
    });
    return;
  }
  markSection(path);
  const match = routes.map(([pattern, page]) => [path.match(pattern), page]).find(([found]) => found);
  const context = pageContext(new URLSearchParams(search));
  current = context;
  main.replaceChildren(h("p", { class: "loading" }, "Loading…"));
  if (!match) {
    context.setTitle("Not found");
    main.replaceChildren(h("h1", { tabindex: "-1" }, "Page not found"), h("p", {}, h("a", { href: "#/workflows" }, "Go to the workflows")));
    focusHeading();
    return;
  }
  const [found, page] = match;
  try {
    await page(context, ...found.slice(1).map(decodeURIComponent));
    if (!context.left) focusHeading();
  } catch (error) {
    if (context.left || error?.status === 401) return;
    context.setTitle("Error");
    main.replaceChildren(
      h("h1", { tabindex: "-1" }, error?.status === 404 ? "Not found" : "Something went wrong"),
      h("div", { class: "alert", role: "alert" }, errorContent(error)),
    );
    focusHeading();
  }
}

function focusHeading() {
  const heading = main.querySelector("h1");
  if (!heading) return;
  heading.setAttribute("tabindex", "-1");
  heading.focus({ preventScroll: true });
}

setUnauthorizedHandler((error) => {
  session.key = null;
  signInMessage = `Signed out: the API refused the key. ${error.message}`;
  if (location.hash && location.hash !== "#/signin") returnTo = location.hash;
  navigate("#/signin");
});

signOut.addEventListener("click", () => {
  session.key = null;
  signInMessage = "Signed out.";
  navigate("#/signin");
});

window.addEventListener("hashchange", render);
render();
