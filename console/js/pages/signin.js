// Sign-in: an API key, checked against the API before it is kept (session storage only).

import { request, session } from "../api.js";
import { h } from "../dom.js";

export function signInPage(context, message, signedIn) {
  context.setTitle("Sign in");
  const error = h("div", { id: "signin-error", class: "alert", role: "alert" }, message || "");
  const input = h("input", {
    id: "api-key",
    name: "api-key",
    type: "password",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
    "aria-describedby": "signin-help signin-error",
  });
  const button = h("button", { type: "submit" }, "Sign in");
  const form = h(
    "form",
    {
      class: "card signin",
      "aria-labelledby": "signin-title",
      onsubmit: async (event) => {
        event.preventDefault();
        const key = input.value.trim();
        if (!key) {
          error.textContent = "Enter an API key.";
          input.focus();
          return;
        }
        button.disabled = true;
        error.textContent = "";
        try {
          await request("GET", "/agents/types", { key });
          session.key = key;
          context.announce("Signed in.");
          signedIn();
        } catch (failure) {
          error.textContent =
            failure.status === 401 ? `That API key was not accepted: ${failure.message}` : failure.message;
          input.select();
          input.focus();
        } finally {
          button.disabled = false;
        }
      },
    },
    h("h1", { id: "signin-title" }, "Sign in to AgentFlow"),
    h(
      "p",
      { id: "signin-help" },
      "Use an API key of your tenant. The local stack prints one when it starts (",
      h("code", {}, "agentflow local"),
      "). The key is kept in this tab only.",
    ),
    h("label", { for: "api-key" }, "API key"),
    input,
    button,
    error,
  );
  context.main.replaceChildren(form);
  input.focus();
}
