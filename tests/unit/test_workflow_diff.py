"""The diff between two workflow versions: nodes, config fields and edges, matched by node id."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from agentflow.workflow_diff import diff_workflows
from tests.helpers import email, reference_workflow, sales, workflow


def test_the_same_workflow_has_no_changes() -> None:
    assert diff_workflows(reference_workflow(), reference_workflow()).empty


def test_nodes_added_and_removed_are_named_with_their_type() -> None:
    # Given a version that drops "emails" and adds "notify"
    before = workflow("W", [sales("deals"), email("emails")], [("deals", "emails")])
    after = workflow(
        "W", [sales("deals"), {"id": "notify", "type": "slack", "config": {}}], [("deals", "notify")]
    )
    # When they are compared
    diff = diff_workflows(before, after)
    # Then the node and edge changes are listed, and nothing else
    assert [(n.id, n.type) for n in diff.nodes_added] == [("notify", "slack")]
    assert [(n.id, n.type) for n in diff.nodes_removed] == [("emails", "email_outreach")]
    assert [(e.source, e.target) for e in diff.edges_added] == [("deals", "notify")]
    assert [(e.source, e.target) for e in diff.edges_removed] == [("deals", "emails")]
    assert diff.nodes_retyped == [] and diff.config_changed == []


def test_a_node_whose_type_changed_is_retyped_not_replaced() -> None:
    before = workflow("W", [sales("step")], [])
    after = workflow("W", [{"id": "step", "type": "hubspot", "config": {"stage": "Negotiation"}}], [])
    diff = diff_workflows(before, after)
    assert [(r.id, r.from_type, r.to_type) for r in diff.nodes_retyped] == [
        ("step", "sales_intelligence", "hubspot")
    ]
    assert diff.nodes_added == [] and diff.nodes_removed == []


def test_config_fields_added_removed_and_changed_carry_both_values() -> None:
    before = workflow("W", [sales("deals", close_quarter="Q4")], [])
    after = workflow("W", [sales("deals", min_amount=250000, limit=5)], [])
    del after["agents"][0]["config"]["close_quarter"]
    changes = {(c.field, c.change, c.before, c.after) for c in diff_workflows(before, after).config_changed}
    assert changes == {
        ("min_amount", "changed", 100000, 250000),
        ("close_quarter", "removed", "Q4", None),
        ("limit", "added", None, 5),
    }


def test_the_diff_names_the_versions_it_compares() -> None:
    diff = diff_workflows({**reference_workflow(), "version": 2}, {**reference_workflow(), "version": 5})
    assert (diff.from_version, diff.to_version) == (2, 5)


NODE_IDS = st.sampled_from(["a", "b", "c", "d", "e"])
TYPES = st.sampled_from(["sales_intelligence", "email_outreach", "slack"])
CONFIGS = st.dictionaries(st.sampled_from(["stage", "limit", "channel"]), st.integers(0, 3), max_size=3)


@st.composite
def workflows(draw: st.DrawFn) -> dict:
    ids = draw(st.lists(NODE_IDS, unique=True, min_size=1))
    agents = [{"id": node_id, "type": draw(TYPES), "config": draw(CONFIGS)} for node_id in ids]
    pairs = draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(ids)), unique=True))
    return workflow("W", agents, [(source, target) for source, target in pairs if source != target])


@given(workflows(), workflows())
def test_the_diff_read_backwards_swaps_additions_and_removals(before: dict, after: dict) -> None:
    forward, backward = diff_workflows(before, after), diff_workflows(after, before)
    assert forward.nodes_added == backward.nodes_removed and forward.nodes_removed == backward.nodes_added
    assert forward.edges_added == backward.edges_removed and forward.edges_removed == backward.edges_added
    assert len(forward.config_changed) == len(backward.config_changed)
    assert diff_workflows(after, after).empty


@given(workflows(), workflows())
def test_applying_the_diff_to_the_old_ids_gives_the_new_ones(before: dict, after: dict) -> None:
    diff = diff_workflows(before, after)
    ids = {node["id"] for node in before["agents"]}
    ids = (ids - {node.id for node in diff.nodes_removed}) | {node.id for node in diff.nodes_added}
    assert ids == {node["id"] for node in after["agents"]}
    edges = {(e["source"], e["target"]) for e in before["edges"]}
    edges = (edges - {(e.source, e.target) for e in diff.edges_removed}) | {
        (e.source, e.target) for e in diff.edges_added
    }
    assert edges == {(e["source"], e["target"]) for e in after["edges"]}
