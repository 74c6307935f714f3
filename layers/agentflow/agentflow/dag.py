"""Workflow graph validation and ordering.

Everything a definition must satisfy beyond its JSON shape: unique ids, known agent types, valid
configs, edges between known nodes, no self-loops, duplicates or cycles. Errors name the offender.
"""

from __future__ import annotations

import difflib
import graphlib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from agentflow.errors import InvalidInputError
from agentflow.models import Edge, WorkflowDefinition

if TYPE_CHECKING:
    from agentflow.registry import AgentRegistry


def parents_of(definition: WorkflowDefinition) -> dict[str, list[str]]:
    """{node id: parent ids in edge declaration order} for every node."""
    parents: dict[str, list[str]] = {node.id: [] for node in definition.agents}
    for edge in definition.edges:
        parents[edge.target].append(edge.source)
    return parents


def children_of(definition: WorkflowDefinition) -> dict[str, list[str]]:
    """{node id: child ids in edge declaration order} for every node."""
    children: dict[str, list[str]] = {node.id: [] for node in definition.agents}
    for edge in definition.edges:
        children[edge.source].append(edge.target)
    return children


def topological_order(node_ids: Sequence[str], edges: Iterable[Edge]) -> list[str]:
    """A deterministic topological order: among ready nodes, declaration order wins.

    Raises :class:`graphlib.CycleError` when the graph has a cycle.
    """
    position = {node_id: index for index, node_id in enumerate(node_ids)}
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter({n: () for n in node_ids})
    for edge in edges:
        sorter.add(edge.target, edge.source)
    sorter.prepare()
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=position.__getitem__)
        order.extend(ready)
        sorter.done(*ready)
    return order


def execution_order(definition: WorkflowDefinition) -> list[str]:
    """The workflow's node ids in deterministic topological order."""
    return topological_order([node.id for node in definition.agents], definition.edges)


def _example(config_model: type[BaseModel], name: str) -> str:
    field = config_model.model_fields.get(name)
    return f", e.g. {field.examples[0]!r}" if field is not None and field.examples else ""


def _config_problem(node_id: str, agent_type: str, config_model: type[BaseModel], item: ErrorDetails) -> str:
    """One config problem in plain words, naming the node and the field."""
    node = f"Node '{node_id}' ({agent_type})"
    field = ".".join(str(part) for part in item["loc"])
    message = item["msg"].removeprefix("Value error, ")
    if item["type"] == "missing":
        return f"{node}: config field '{field}' is required{_example(config_model, field)}."
    if item["type"] == "extra_forbidden":
        close = difflib.get_close_matches(field, list(config_model.model_fields), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else "."
        return f"{node}: config field '{field}' is not a field of {agent_type}{hint}"
    if item["type"] == "mode_requirement":
        named = str((item.get("ctx") or {}).get("field", ""))
        return f"{node}: {message}{_example(config_model, named)}."
    if not field:
        return f"{node}: config: {message}."
    return f"{node}: config field '{field}': {message}."


def validate_workflow(definition: WorkflowDefinition, registry: AgentRegistry) -> list[str]:
    """Check the graph and every agent config; return the execution order.

    Raises :class:`InvalidInputError` whose message is the first problem and whose details list
    every problem found, each naming its node, edge, field or cycle path.
    """
    problems: list[str] = []
    if not definition.agents:
        raise InvalidInputError("A workflow needs at least one agent; 'agents' is empty.")

    seen: set[str] = set()
    for node in definition.agents:
        if node.id in seen:
            problems.append(f"Agent id '{node.id}' is used more than once; ids must be unique.")
        seen.add(node.id)
        agent = registry.find(node.type)
        if agent is None:
            known = ", ".join(registry.types())
            problems.append(f"Agent '{node.id}' has unknown type '{node.type}'; known types: {known}.")
            continue
        try:
            config = agent.config_model.model_validate(node.config)
        except ValidationError as error:
            problems.extend(
                _config_problem(node.id, node.type, agent.config_model, item) for item in error.errors()
            )
            continue
        if node.for_each is not None and agent.per_record_keys(config) is None:
            problems.append(
                f"Node '{node.id}' ({node.type}): for_each needs an agent that acts on each upstream "
                "record, and this type with this config does not (a search or a summary would run once "
                "per batch)."
            )

    seen_edges: set[tuple[str, str]] = set()
    for edge in definition.edges:
        pair = (edge.source, edge.target)
        for end in pair:
            if end not in seen:
                problems.append(f"Edge {edge.source} → {edge.target} refers to unknown agent '{end}'.")
        if edge.source == edge.target:
            problems.append(f"Edge {edge.source} → {edge.target} is a self-loop.")
        elif pair in seen_edges:
            problems.append(f"Edge {edge.source} → {edge.target} is declared more than once.")
        seen_edges.add(pair)

    if problems:
        raise InvalidInputError(problems[0], details=problems)
    try:
        return execution_order(definition)
    except graphlib.CycleError as error:
        cycle = list(error.args[1])  # graphlib lists it along the edges, first node repeated last
        path = " → ".join(cycle)
        raise InvalidInputError(
            f"The workflow has a cycle: {path}.", details=[{"cycle": cycle[:-1]}]
        ) from None
