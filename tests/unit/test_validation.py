"""Workflow validation: every rejection names its offender; the order is deterministic."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentflow.dag import execution_order, validate_workflow
from agentflow.errors import InvalidInputError
from agentflow.models import WorkflowDefinition
from agentflow.registry import REGISTRY
from tests.helpers import diamond, email, reference_workflow, sales, workflow


def problems_of(definition: dict) -> InvalidInputError:
    with pytest.raises(InvalidInputError) as caught:
        validate_workflow(WorkflowDefinition.model_validate(definition), REGISTRY)
    return caught.value


def test_reference_workflow_is_valid_and_ordered() -> None:
    # Given the reference workflow, When it is validated, Then its order is sales then email
    order = validate_workflow(WorkflowDefinition.model_validate(reference_workflow()), REGISTRY)
    assert order == ["sales_agent_1", "email_agent_1"]


def test_empty_agents_are_rejected() -> None:
    error = problems_of(workflow("Empty", [], []))
    assert "agents" in error.message and "empty" in error.message


def test_duplicate_ids_are_named() -> None:
    error = problems_of(workflow("Dup", [sales("same"), email("same")], []))
    assert "'same'" in error.message and "more than once" in error.message


def test_unknown_agent_type_is_named_with_the_known_ones() -> None:
    error = problems_of(workflow("Unknown", [{"id": "x", "type": "telepathy", "config": {}}], []))
    assert "'telepathy'" in error.message and "'x'" in error.message
    assert "sales_intelligence" in error.message


def test_invalid_config_names_node_and_field() -> None:
    error = problems_of(workflow("Bad config", [email("mailer", max_emails=0)], []))
    assert error.message == (
        "Node 'mailer' (email_outreach): config field 'max_emails': "
        "Input should be greater than or equal to 1."
    )


def test_unknown_config_field_is_named_with_the_field_meant() -> None:
    error = problems_of(workflow("Typo", [sales("s", min_amout=5)], []))
    assert error.message == (
        "Node 's' (sales_intelligence): config field 'min_amout' is not a field of sales_intelligence; "
        "did you mean 'min_amount'?"
    )


def test_a_missing_required_field_is_named_with_an_example() -> None:
    error = problems_of(workflow("Notify", [{"id": "notify", "type": "slack", "config": {}}], []))
    assert error.message == "Node 'notify' (slack): config field 'channel' is required, e.g. '#sales-alerts'."


def test_a_field_the_mode_needs_is_named_with_the_mode_and_an_example() -> None:
    tickets = {"id": "tickets", "type": "jira", "config": {"mode": "create"}}
    error = problems_of(workflow("Jira", [tickets], []))
    assert error.message == (
        "Node 'tickets' (jira): mode 'create' needs config field 'project_key', e.g. 'ONB'."
    )


def test_one_of_several_fields_a_mode_needs_is_listed() -> None:
    update = {"id": "update", "type": "hubspot", "config": {"mode": "update_deals"}}
    error = problems_of(workflow("HubSpot", [update], []))
    assert error.message == (
        "Node 'update' (hubspot): mode 'update_deals' needs at least one of config fields "
        "'set_stage', 'set_next_step' or 'set_properties'."
    )


def test_a_rule_across_fields_reads_without_the_pydantic_prefix() -> None:
    window = {"id": "hires", "type": "workday", "config": {"from_days": 5, "to_days": 1}}
    error = problems_of(workflow("Workday", [window], []))
    assert error.message == "Node 'hires' (workday): config: from_days must not be after to_days."
    assert "Value error" not in error.message


def test_edge_to_unknown_node_is_named() -> None:
    error = problems_of(workflow("Dangling", [sales("s")], [("s", "ghost")]))
    assert "'ghost'" in error.message


def test_self_loop_is_rejected() -> None:
    error = problems_of(workflow("Loop", [sales("s")], [("s", "s")]))
    assert "self-loop" in error.message and "s → s" in error.message


def test_duplicate_edge_is_rejected() -> None:
    error = problems_of(workflow("Twice", [sales("s"), email("e")], [("s", "e"), ("s", "e")]))
    assert "more than once" in error.message


def test_cycle_names_every_node_in_path_order() -> None:
    # Given a → b → c → a
    definition = workflow("Cycle", [sales("a"), sales("b"), sales("c")], [("a", "b"), ("b", "c"), ("c", "a")])
    error = problems_of(definition)
    # Then the message walks the cycle along its edges
    path = error.message.split(": ", 1)[1].rstrip(".").split(" → ")
    assert set(path) == {"a", "b", "c"} and path[0] == path[-1]
    edges = {("a", "b"), ("b", "c"), ("c", "a")}
    assert all((path[i], path[i + 1]) in edges for i in range(len(path) - 1))


def test_every_problem_is_listed_in_details() -> None:
    error = problems_of(workflow("Many", [sales("s"), {"id": "x", "type": "nope"}], [("s", "ghost")]))
    assert len(error.details) == 2


def test_order_breaks_ties_by_declaration() -> None:
    # Given independent nodes declared z, a, m and a diamond
    loose = WorkflowDefinition.model_validate(workflow("Loose", [sales("z"), sales("a"), sales("m")], []))
    assert execution_order(loose) == ["z", "a", "m"]
    assert execution_order(WorkflowDefinition.model_validate(diamond())) == ["a", "b", "c", "d"]


@st.composite
def graphs_with_a_cycle(draw: st.DrawFn) -> dict:
    size = draw(st.integers(min_value=2, max_value=12))
    ids = [f"n{index}" for index in range(size)]
    forward = draw(
        st.sets(st.tuples(st.integers(0, size - 1), st.integers(0, size - 1)).filter(lambda p: p[0] < p[1]))
    )
    # Close a cycle along a random increasing path, then add one edge back to its start.
    path = sorted(draw(st.sets(st.integers(0, size - 1), min_size=2, max_size=size)))
    edges = set(forward) | set(itertools.pairwise(path)) | {(path[-1], path[0])}
    order = draw(st.permutations(ids))
    return workflow("Cyclic", [sales(node) for node in order], [(ids[s], ids[t]) for s, t in sorted(edges)])


@settings(max_examples=80, deadline=None)
@given(graphs_with_a_cycle())
def test_any_cycle_is_rejected(definition: dict) -> None:
    error = problems_of(definition)
    assert "cycle" in error.message


def test_node_ids_follow_the_contract() -> None:
    with pytest.raises(ValueError, match="id"):
        WorkflowDefinition.model_validate(workflow("Bad id", [sales("has space")], []))
    with pytest.raises(ValueError, match="id"):
        WorkflowDefinition.model_validate(workflow("Long id", [sales("x" * 65)], []))
