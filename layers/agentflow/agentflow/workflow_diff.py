"""What changed between two versions of a workflow: nodes added, removed or retyped, config fields
changed, edges added or removed.

Works on the plain workflow objects the API serves (``GET /workflows/{id}/versions/{n}``), so the
command line can compare versions it read over HTTP without the models that made them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, Field


class NodeChange(BaseModel):
    id: str
    type: str


class Retype(BaseModel):
    id: str
    from_type: str
    to_type: str


class ConfigChange(BaseModel):
    """One top-level config field of a node that both versions have."""

    id: str
    field: str
    change: str = Field(description="added, removed or changed")
    before: Any = None
    after: Any = None


class EdgeChange(BaseModel):
    source: str
    target: str


class WorkflowDiff(BaseModel):
    from_version: int | None = None
    to_version: int | None = None
    nodes_added: list[NodeChange] = Field(default_factory=list)
    nodes_removed: list[NodeChange] = Field(default_factory=list)
    nodes_retyped: list[Retype] = Field(default_factory=list)
    config_changed: list[ConfigChange] = Field(default_factory=list)
    edges_added: list[EdgeChange] = Field(default_factory=list)
    edges_removed: list[EdgeChange] = Field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.nodes_added
            or self.nodes_removed
            or self.nodes_retyped
            or self.config_changed
            or self.edges_added
            or self.edges_removed
        )


def _nodes(workflow: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {node["id"]: node for node in workflow.get("agents") or []}


def _edges(workflow: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(edge["source"], edge["target"]) for edge in workflow.get("edges") or []]


def _config_changes(node_id: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> list[ConfigChange]:
    changes = []
    for field in [*before, *(key for key in after if key not in before)]:
        if field not in after:
            changes.append(ConfigChange(id=node_id, field=field, change="removed", before=before[field]))
        elif field not in before:
            changes.append(ConfigChange(id=node_id, field=field, change="added", after=after[field]))
        elif before[field] != after[field]:
            changes.append(
                ConfigChange(
                    id=node_id, field=field, change="changed", before=before[field], after=after[field]
                )
            )
    return changes


def _edge_list(edges: Sequence[tuple[str, str]], leave_out: set[tuple[str, str]]) -> list[EdgeChange]:
    return [
        EdgeChange(source=source, target=target)
        for source, target in edges
        if (source, target) not in leave_out
    ]


def diff_workflows(before: Mapping[str, Any], after: Mapping[str, Any]) -> WorkflowDiff:
    """The changes that turn workflow ``before`` into ``after``, in their declaration order.

    Nodes are matched by id: a node whose type changed is retyped (its config is then compared
    too, since the same field may mean something else); a renamed node is one removed, one added.
    """
    old_nodes, new_nodes = _nodes(before), _nodes(after)
    diff = WorkflowDiff(from_version=before.get("version"), to_version=after.get("version"))
    for node_id, node in new_nodes.items():
        if node_id not in old_nodes:
            diff.nodes_added.append(NodeChange(id=node_id, type=node["type"]))
    for node_id, old in old_nodes.items():
        new = new_nodes.get(node_id)
        if new is None:
            diff.nodes_removed.append(NodeChange(id=node_id, type=old["type"]))
            continue
        if old["type"] != new["type"]:
            diff.nodes_retyped.append(Retype(id=node_id, from_type=old["type"], to_type=new["type"]))
        diff.config_changed.extend(_config_changes(node_id, old.get("config") or {}, new.get("config") or {}))
    old_edges, new_edges = _edges(before), _edges(after)
    diff.edges_added = _edge_list(new_edges, set(old_edges))
    diff.edges_removed = _edge_list(old_edges, set(new_edges))
    return diff
