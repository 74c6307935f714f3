"""Trim vendors' published API descriptions to the operations AgentFlow's connectors call.

The conformance tests (tests/conformance/) check every live client's requests against these
copies. Each source is the vendor's own machine-readable description; tests/conformance/specs/
README.md names the repository, path and commit of each. Run from a checkout with the sources
cloned next to it::

    python tools/trim_vendor_specs.py hubspot   /path/to/HubSpot-public-api-spec-collection
    python tools/trim_vendor_specs.py slack     /path/to/slack-api-specs
    python tools/trim_vendor_specs.py jira      /path/to/swagger-v3.v3.json
    python tools/trim_vendor_specs.py graph     /path/to/msgraph-metadata
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parents[1] / "tests/conformance/specs"
METHODS = ("get", "put", "post", "delete", "patch")

HUBSPOT = {
    # file in PublicApiSpecs/CRM: (paths and methods kept, path prefix renames)
    "Deals/Rollouts/424/v3/deals.json": (
        {"/crm/v3/objects/0-3/search": ["post"], "/crm/v3/objects/0-3/{dealId}": ["get", "patch"]},
        {"/crm/v3/objects/0-3": "/crm/v3/objects/deals"},  # 0-3 is the deal object type's id
    ),
    "Companies/Rollouts/424/v3/companies.json": (
        {"/crm/v3/objects/companies/batch/read": ["post"], "/crm/v3/objects/companies/search": ["post"]},
        {},
    ),
    "Contacts/Rollouts/424/v3/contacts.json": (
        {"/crm/v3/objects/contacts/batch/read": ["post"], "/crm/v3/objects/contacts/search": ["post"]},
        {},
    ),
    "Notes/Rollouts/424/v3/notes.json": ({"/crm/v3/objects/notes": ["post"]}, {}),
    "Associations/Rollouts/130902/v4/associations.json": (
        {"/crm/v4/associations/{fromObjectType}/{toObjectType}/batch/read": ["post"]},
        {},
    ),
    "Pipelines/Rollouts/145896/v3/pipelines.json": ({"/crm/v3/pipelines/{objectType}": ["get"]}, {}),
    "Crm Owners/Rollouts/146888/v3/crmOwners.json": ({"/crm/v3/owners": ["get"]}, {}),
}
SLACK = {
    "/chat.postMessage": ["post"],
    "/chat.getPermalink": ["get"],
    "/conversations.history": ["get"],
    "/conversations.replies": ["get"],
}
JIRA = {"/rest/api/3/issue/bulk": ["post"], "/rest/api/3/search/jql": ["post"]}


def _refs(node: Any) -> Iterable[str]:
    if isinstance(node, Mapping):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _lookup(doc: Mapping[str, Any], ref: str) -> Any:
    node: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _put(target: dict[str, Any], ref: str, value: Any) -> None:
    parts = [part.replace("~1", "/").replace("~0", "~") for part in ref.removeprefix("#/").split("/")]
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


def trim_openapi(
    doc: Mapping[str, Any], keep: Mapping[str, list[str]], renames: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """``doc`` with only the ``keep`` operations and the components they reach (OpenAPI 3 or Swagger 2)."""
    head = ("openapi", "swagger", "info", "servers", "host", "basePath", "schemes", "consumes", "produces")
    trimmed: dict[str, Any] = {key: doc[key] for key in head if key in doc}
    trimmed["paths"] = {}
    for path, methods in keep.items():
        item = doc["paths"][path]
        kept = {key: value for key, value in item.items() if key not in METHODS or key in methods}
        missing = set(methods) - kept.keys()
        if missing:
            raise KeyError(f"{path} has no {sorted(missing)} in the source")
        for old, new in (renames or {}).items():
            if path.startswith(old):
                path = new + path[len(old) :]
        trimmed["paths"][path] = kept
    pending = list(_refs(trimmed["paths"]))
    seen: set[str] = set()
    while pending:
        ref = pending.pop()
        if ref in seen or not ref.startswith("#/"):
            continue
        seen.add(ref)
        value = _lookup(doc, ref)
        _put(trimmed, ref, value)
        pending += _refs(value)
    return trimmed


def _write(name: str, document: Any) -> None:
    path = OUT / name
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {path.relative_to(OUT.parents[2])} ({path.stat().st_size // 1024} KB)")


def hubspot(root: Path) -> None:
    paths: dict[str, Any] = {}
    merged: dict[str, Any] = {"openapi": "3.0.1", "info": {"title": "HubSpot CRM (trimmed)"}, "paths": paths}
    for name, (keep, renames) in HUBSPOT.items():
        doc = json.loads((root / "PublicApiSpecs/CRM" / name).read_text(encoding="utf-8"))
        part = trim_openapi(doc, keep, renames)
        merged.setdefault("servers", part.get("servers"))
        paths.update(part["paths"])
        for kind, schemas in (part.get("components") or {}).items():
            merged.setdefault("components", {}).setdefault(kind, {}).update(schemas)
    _write("hubspot.json", merged)


def slack(root: Path) -> None:
    doc = json.loads((root / "web-api/slack_web_openapi_v2_without_examples.json").read_text("utf-8"))
    _write("slack.json", trim_openapi(doc, SLACK))


def jira(source: Path) -> None:
    _write("jira.json", trim_openapi(json.loads(source.read_text(encoding="utf-8")), JIRA))


EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
GRAPH_TYPES = ("entity", "outlookItem", "message", "user", "directoryObject")
GRAPH_COMPLEX = ("itemBody", "recipient", "emailAddress")
GRAPH_ENUMS = ("bodyType",)


def graph(root: Path) -> None:
    """The v1.0 CSDL's users set, message entity (with its base types), their body and recipient
    types, and the bound ``send`` action, as a small EDMX."""
    tree = ET.parse(root / "clean_v10_metadata/cleanMetadata.xml")  # noqa: S314 - vendor metadata
    schema = tree.getroot().find(f".//{EDM}Schema")
    assert schema is not None
    ET.register_namespace("", EDM.strip("{}"))
    out = ET.Element(f"{EDM}Schema", {"Namespace": schema.get("Namespace", "")})
    for element in schema:
        tag, name = element.tag.removeprefix(EDM), element.get("Name")
        keep = (
            (tag == "EntityType" and name in GRAPH_TYPES)
            or (tag == "ComplexType" and name in GRAPH_COMPLEX)
            or (tag == "EnumType" and name in GRAPH_ENUMS)
            or (
                tag == "Action"
                and name == "send"
                and any(p.get("Type") == "graph.message" for p in element.findall(f"{EDM}Parameter"))
            )
        )
        if tag == "EntityType" and name == "user":
            # The user type has hundreds of properties; the connector only walks to its messages.
            element = _only_children(element, {"messages"})
        if keep:
            out.append(element)
        if tag == "EntityContainer":
            container = ET.SubElement(out, f"{EDM}EntityContainer", {"Name": name or ""})
            container.extend(s for s in element if s.get("Name") == "users")
    text = ET.tostring(out, encoding="unicode")
    (OUT / "msgraph-v1.0.xml").write_text(text + "\n", encoding="utf-8")
    print(f"wrote tests/conformance/specs/msgraph-v1.0.xml ({len(text) // 1024} KB)")


def _only_children(element: ET.Element, names: set[str]) -> ET.Element:
    copy = ET.Element(element.tag, element.attrib)
    copy.extend(child for child in element if child.get("Name") in names)
    return copy


if __name__ == "__main__":
    vendor, source = sys.argv[1], Path(sys.argv[2])
    {"hubspot": hubspot, "slack": slack, "jira": jira, "graph": graph}[vendor](source)
