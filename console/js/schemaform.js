// A form generated from an agent's config JSON Schema: one control per property, conditional fields
// shown as the schema's if/then/else says, defaults and examples offered, secrets as names only.

import { h, pretty } from "./dom.js";

// A Secrets Manager secret name (what AWS accepts); anything else, such as a pasted token with
// spaces or JSON, is refused before it reaches the definition.
export const SECRET_NAME = "^[A-Za-z0-9\\/_+=.@\\-]{1,512}$";

/** A schema pattern the browser can check (HTML patterns use the `v` flag); the API checks the rest. */
function htmlPattern(pattern) {
  if (!pattern) return null;
  try {
    new RegExp(pattern, "v");
    return pattern;
  } catch {
    return null;
  }
}

export function resolve(schema, root) {
  if (!schema?.$ref) return schema ?? {};
  const name = schema.$ref.split("/").pop();
  return { ...(root?.$defs?.[name] ?? root?.definitions?.[name] ?? {}), ...Object.fromEntries(Object.entries(schema).filter(([key]) => key !== "$ref")) };
}

/** The control a property needs: {kind, nullable, options, items}. */
export function fieldKind(property, root) {
  const resolved = resolve(property, root);
  const variants = (resolved.anyOf ?? resolved.oneOf ?? [resolved]).map((variant) => resolve(variant, root));
  const nullable = variants.some((variant) => variant.type === "null");
  const main = variants.find((variant) => variant.type !== "null") ?? {};
  const merged = { ...main, ...Object.fromEntries(Object.entries(resolved).filter(([key]) => !["anyOf", "oneOf"].includes(key))) };
  if (merged.const !== undefined) return { kind: "const", nullable, value: merged.const };
  if (main.enum) return { kind: "enum", nullable, options: main.enum };
  if (main.type === "boolean") return { kind: "boolean", nullable };
  if (main.type === "integer" || main.type === "number") return { kind: main.type, nullable, min: main.minimum, max: main.maximum };
  if (main.type === "string") return { kind: "string", nullable, pattern: main.pattern, maxLength: main.maxLength, format: main.format };
  if (main.type === "array") {
    const items = resolve(main.items, root);
    if (!items.type || ["string", "integer", "number"].includes(items.type)) return { kind: "list", nullable, items };
  }
  return { kind: "json", nullable };
}

function defaultOf(property) {
  return property?.default;
}

/** Whether a config satisfies an `if` schema (const/enum per property, required names). */
function holds(condition, config, properties) {
  if (!condition || typeof condition !== "object") return Boolean(condition);
  for (const name of condition.required ?? []) if (config[name] === undefined) return false;
  for (const [name, test] of Object.entries(condition.properties ?? {})) {
    const value = config[name] ?? defaultOf(properties[name]);
    if (value === undefined) continue; // an absent property satisfies its sub-schema
    if (test.const !== undefined && value !== test.const) return false;
    if (Array.isArray(test.enum) && !test.enum.includes(value)) return false;
    if (test.not && holds({ properties: { [name]: test.not } }, config, properties)) return false;
  }
  return true;
}

/**
 * The properties the form shows for `config`: the schema's own, plus those of every if/then/else
 * branch that applies (top level and inside allOf). Returns {properties, required, conditional}.
 */
export function activeFields(schema, config) {
  const properties = { ...(schema.properties ?? {}) };
  const required = new Set(schema.required ?? []);
  const conditional = new Set();
  const clauses = [schema, ...(schema.allOf ?? [])].filter((clause) => clause.if);
  const branchNames = new Set();
  for (const clause of clauses) {
    for (const branch of [clause.then, clause.else]) for (const name of Object.keys(branch?.properties ?? {})) branchNames.add(name);
  }
  for (const clause of clauses) {
    const branch = holds(clause.if, config, properties) ? clause.then : clause.else;
    if (!branch) continue;
    for (const [name, property] of Object.entries(branch.properties ?? {})) {
      properties[name] = { ...(properties[name] ?? {}), ...property };
      conditional.add(name);
    }
    for (const name of branch.required ?? []) {
      required.add(name);
      conditional.add(name);
    }
  }
  // A field that only some branch declares is hidden while that branch does not apply.
  for (const name of branchNames) {
    if (!conditional.has(name) && !(schema.properties ?? {})[name] && config[name] === undefined) delete properties[name];
  }
  return { properties, required, conditional };
}

export function isSecretField(name, property) {
  return /secret/i.test(name) || property.format === "secret-name" || property.writeOnly === true;
}

function display(value) {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * The config form of one node. `onChange(config)` gets a new config object after every edit;
 * `errors` maps a field name to the API's messages about it.
 */
export function configForm(schema, config, onChange, { idPrefix, errors = new Map() } = {}) {
  const { properties, required, conditional } = activeFields(schema, config);
  const set = (name, value) => {
    const next = { ...config };
    if (value === undefined) delete next[name];
    else next[name] = value;
    onChange(next);
  };
  const fields = Object.entries(properties).map(([name, property]) => {
    const id = `${idPrefix}-${name}`;
    const kind = fieldKind(property, schema);
    const resolved = resolve(property, schema);
    const fallback = defaultOf(resolved);
    const examples = resolved.examples ?? [];
    const secret = isSecretField(name, resolved);
    const messages = errors.get(name) ?? [];
    const described = [`${id}-hint`, messages.length ? `${id}-error` : null].filter(Boolean).join(" ");
    const common = { id, name, "data-field": name, "aria-describedby": described, "aria-invalid": messages.length ? "true" : null, required: required.has(name) };
    const value = config[name];
    let control;
    if (kind.kind === "const") {
      control = h("input", { ...common, value: display(kind.value), readonly: true });
    } else if (kind.kind === "boolean") {
      control = h("input", { ...common, type: "checkbox", checked: Boolean(value ?? fallback), onchange: (event) => set(name, event.target.checked) });
    } else if (kind.kind === "enum") {
      const unset = fallback !== undefined && fallback !== null ? `Default (${display(fallback)})` : "Not set";
      control = h(
        "select",
        { ...common, onchange: (event) => set(name, event.target.value === "" ? undefined : kind.options[Number(event.target.value)]) },
        h("option", { value: "" }, unset),
        kind.options.map((option, index) => h("option", { value: String(index), selected: value === option }, display(option))),
      );
    } else if (kind.kind === "integer" || kind.kind === "number") {
      control = h("input", {
        ...common,
        type: "number",
        inputmode: kind.kind === "integer" ? "numeric" : "decimal",
        step: kind.kind === "integer" ? "1" : "any",
        min: kind.min,
        max: kind.max,
        value: value ?? "",
        placeholder: fallback !== undefined && fallback !== null ? `default ${fallback}` : examples.length ? `e.g. ${examples[0]}` : null,
        onchange: (event) => set(name, event.target.value === "" ? undefined : Number(event.target.value)),
      });
    } else if (kind.kind === "string") {
      const long = (kind.maxLength ?? 0) > 500;
      const attrs = {
        ...common,
        value: value ?? "",
        pattern: htmlPattern(secret ? SECRET_NAME : kind.pattern),
        maxlength: kind.maxLength,
        autocomplete: "off",
        spellcheck: secret ? "false" : null,
        list: examples.length ? `${id}-examples` : null,
        placeholder: secret ? "agentflow/<tenant>/<name>" : fallback ? `default: ${fallback}` : examples.length ? `e.g. ${examples[0]}` : null,
        type: kind.format === "date" ? "date" : null,
        onchange: (event) => {
          const text = event.target.value.trim();
          if (text && secret && !new RegExp(SECRET_NAME).test(text)) {
            event.target.setCustomValidity("A Secrets Manager secret name, never the secret itself.");
            event.target.reportValidity();
            return;
          }
          event.target.setCustomValidity("");
          set(name, text === "" ? undefined : text);
        },
      };
      control = long ? h("textarea", { ...attrs, rows: 3 }, value ?? "") : h("input", attrs);
    } else if (kind.kind === "list") {
      const numeric = ["integer", "number"].includes(kind.items.type);
      control = h("input", {
        ...common,
        value: Array.isArray(value) ? value.join(", ") : "",
        placeholder: kind.items.enum ? `any of: ${kind.items.enum.join(", ")}` : "comma-separated",
        onchange: (event) => {
          const items = event.target.value.split(",").map((item) => item.trim()).filter(Boolean);
          set(name, items.length ? items.map((item) => (numeric ? Number(item) : item)) : undefined);
        },
      });
    } else {
      const error = h("span", { class: "field-error", id: `${id}-json-error`, role: "alert" });
      control = h(
        "textarea",
        {
          ...common,
          class: "code-editor small",
          rows: 3,
          spellcheck: "false",
          onchange: (event) => {
            const text = event.target.value.trim();
            if (!text) return set(name, undefined);
            try {
              set(name, JSON.parse(text));
            } catch (problem) {
              error.textContent = `Not valid JSON: ${problem.message}`;
            }
          },
        },
        value === undefined ? "" : pretty(value),
      );
      control = [control, error];
    }
    const hint = [
      resolved.description ?? "",
      secret ? " The name of a Secrets Manager secret, never the credentials themselves." : "",
      examples.length ? ` Examples: ${examples.map(display).join(", ")}.` : "",
      conditional.has(name) ? " (shown for this configuration)" : "",
    ].join("");
    return h(
      "div",
      { class: ["field", kind.kind === "boolean" ? "checkbox" : null, messages.length ? "invalid" : null].filter(Boolean).join(" "), "data-config-field": name },
      kind.kind === "boolean" ? control : null,
      h("label", { for: id }, resolved.title ?? name, required.has(name) ? " (required)" : ""),
      kind.kind === "boolean" ? null : control,
      examples.length && kind.kind === "string" ? h("datalist", { id: `${id}-examples` }, examples.map((example) => h("option", { value: display(example) }))) : null,
      h("small", { class: "hint", id: `${id}-hint` }, hint),
      messages.length ? h("p", { class: "field-error", id: `${id}-error` }, messages.join(" ")) : null,
    );
  });
  return h("div", { class: "config-form" }, fields.length ? fields : h("p", { class: "empty" }, "This agent type has no configuration."));
}
