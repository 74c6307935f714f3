// The agent catalog: every registered type with its description and config JSON Schema.

import { api } from "../api.js";
import { h, pretty, table } from "../dom.js";

function resolveRef(schema, root) {
  if (!schema?.$ref || !root) return schema;
  const name = schema.$ref.split("/").pop();
  return root.$defs?.[name] ?? root.definitions?.[name] ?? schema;
}

/** A short type description of one JSON Schema property ("integer", "'a' | 'b'", "string | null"). */
export function schemaType(schema, root) {
  const resolved = resolveRef(schema, root);
  if (!resolved) return "any";
  if (resolved.enum) return resolved.enum.map((value) => JSON.stringify(value)).join(" | ");
  if (resolved.const !== undefined) return JSON.stringify(resolved.const);
  const variants = resolved.anyOf ?? resolved.oneOf;
  if (variants) return variants.map((variant) => schemaType(variant, root)).join(" | ");
  if (resolved.type === "array") return `array of ${schemaType(resolved.items, root)}`;
  if (Array.isArray(resolved.type)) return resolved.type.join(" | ");
  if (resolved.type) return resolved.type;
  if (schema.$ref) return schema.$ref.split("/").pop();
  return "any";
}

// {field: ["create", ...]}: the modes whose if/then in the schema require the field.
function requiredInModes(schema) {
  const modes = {};
  for (const rule of schema.allOf ?? []) {
    const mode = rule.if?.properties?.mode?.const;
    for (const part of rule.then?.allOf ?? []) {
      const fields = [...(part.required ?? []), ...(part.anyOf ?? []).flatMap((choice) => choice.required ?? [])];
      for (const field of fields) (modes[field] ??= []).push(mode);
    }
  }
  return modes;
}

function requirement(name, required, inModes) {
  if (required.has(name)) return " (required)";
  if (inModes[name]) return ` (mode ${inModes[name].join(", ")})`;
  return "";
}

function propertiesTable(agentType) {
  const schema = agentType.config_schema ?? {};
  const required = new Set(schema.required ?? []);
  const inModes = requiredInModes(schema);
  const rows = Object.entries(schema.properties ?? {}).map(([name, property]) => [
    h("code", {}, name, requirement(name, required, inModes)),
    schemaType(property, schema),
    property.default === undefined ? "—" : h("code", {}, JSON.stringify(property.default)),
    property.description ?? resolveRef(property, schema)?.description ?? "",
  ]);
  if (!rows.length) return h("p", {}, "No configuration.");
  return table(`Configuration of ${agentType.type}`, ["Field", "Type", "Default", "Description"], rows, {
    class: "schema-table",
  });
}

export async function agentsPage(context) {
  context.setTitle("Agents");
  const { agent_types: agentTypes } = await api.agentTypes();
  context.main.replaceChildren(
    h("h1", {}, "Agent catalog"),
    h("p", { class: "lead" }, `${agentTypes.length} agent types. A workflow node names one in "type" and configures it in "config".`),
    h(
      "ul",
      { class: "catalog", "aria-label": "Agent types" },
      agentTypes.map((agentType) =>
        h(
          "li",
          { class: "card agent-type", id: `agent-${agentType.type}` },
          h("h2", {}, agentType.name, " ", h("code", { class: "type-code" }, agentType.type)),
          h("p", {}, agentType.description),
          propertiesTable(agentType),
          h(
            "details",
            {},
            h("summary", {}, "Config JSON Schema"),
            h("pre", { class: "json" }, pretty(agentType.config_schema)),
          ),
        ),
      ),
    ),
  );
}
