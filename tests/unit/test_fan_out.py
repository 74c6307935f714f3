"""for_each without AWS: the Map shapes the compiler emits, the merge rules, where records are split."""

from __future__ import annotations

from typing import Any

import pytest

from agentflow.agents.items import records_location, upstream_items, with_records
from agentflow.compiler import check_quotas, compile_workflow
from agentflow.dag import validate_workflow
from agentflow.errors import InvalidInputError
from agentflow.models import WorkflowDefinition
from agentflow.registry import REGISTRY
from agentflow.services.fanout import merge_outputs

FUNCTIONS = {
    "sales_intelligence": "arn:aws:lambda:us-east-1:123456789012:function:sales",
    "email_outreach": "arn:aws:lambda:us-east-1:123456789012:function:email",
    "jira": "arn:aws:lambda:us-east-1:123456789012:function:jira",
}
FINALIZER = "arn:aws:lambda:us-east-1:123456789012:function:finalizer"


def outreach(mail_id: str = "mail", **for_each: Any) -> WorkflowDefinition:
    return WorkflowDefinition.model_validate(
        {
            "name": "Outreach",
            "agents": [
                {"id": "sales", "type": "sales_intelligence"},
                {"id": mail_id, "type": "email_outreach", "for_each": for_each},
            ],
            "edges": [{"source": "sales", "target": mail_id}],
        }
    )


def compiled(definition: WorkflowDefinition, **options: Any) -> dict[str, Any]:
    return compile_workflow(definition, agent_functions=FUNCTIONS, finalizer_arn=FINALIZER, **options)


def branch_of(asl: dict[str, Any], node_id: str) -> dict[str, Any]:
    state = asl["States"][node_id]
    assert state["Type"] == "Parallel" and state["ResultPath"] is None and len(state["Branches"]) == 1
    branch: dict[str, Any] = state["Branches"][0]
    return branch


def test_a_for_each_node_compiles_to_plan_then_an_inline_map_then_merge() -> None:
    # Given an email node fanned out 10 batches at a time
    asl = compiled(outreach(batch_size=3, max_concurrency=10))
    # When compiled, the node is a one-branch Parallel (named by the node, so the state after it
    # sees the execution input unchanged) that runs plan → Map → merge
    branch = branch_of(asl, "mail")
    assert asl["States"]["sales"]["Next"] == "mail" and asl["States"]["mail"]["Next"] == "agentflow.finalize"
    assert asl["States"]["mail"]["Catch"][0]["Next"] == "agentflow.record_failure"
    assert branch["StartAt"] == "plan.mail"
    plan, batches, merge = (branch["States"][name] for name in ("plan.mail", "batches.mail", "merge.mail"))
    assert plan["Next"] == "batches.mail" and batches["Next"] == "merge.mail" and merge["End"] is True
    # Then every step invokes the node's own function with its phase and its node's retries
    for step in (plan, merge):
        assert step["Parameters"]["FunctionName"] == FUNCTIONS["email_outreach"]
        assert step["Parameters"]["Payload"]["execution.$"] == "$"
        assert {retry["ErrorEquals"][0] for retry in step["Retry"]} >= {"TransientAgentError"}
    assert plan["Parameters"]["Payload"]["fan_out"] == {"phase": "plan", "map": "inline"}
    assert plan["ResultPath"] == "$.fan_out"
    assert merge["Parameters"]["Payload"]["fan_out"] == {"phase": "merge"}
    # and the Map is inline, over the plan's batch indexes, at the node's concurrency
    assert batches["Type"] == "Map" and batches["ItemProcessor"]["ProcessorConfig"] == {"Mode": "INLINE"}
    assert batches["ItemsPath"] == "$.fan_out.result.batches" and batches["MaxConcurrency"] == 10
    assert batches["ItemSelector"] == {"execution.$": "$$.Execution.Input", "batch.$": "$$.Map.Item.Value"}
    batch = batches["ItemProcessor"]["States"]["batch.mail"]
    assert batch["Parameters"]["Payload"] == {
        "execution.$": "$.execution",
        "node_id": "mail",
        "fan_out": {"phase": "batch", "batch.$": "$.batch"},
    }
    assert batch["OutputPath"] == "$.batch" and batch["End"] is True
    assert "ItemReader" not in batches


def test_more_than_40_batches_at_a_time_compiles_to_a_distributed_map_over_an_s3_manifest() -> None:
    # Given a node asking for 200 batches at a time (an Inline Map runs at most 40)
    asl = compiled(outreach(batch_size=10, max_concurrency=200))
    # When compiled on a stack that lets the compiler choose
    batches = branch_of(asl, "mail")["States"]["batches.mail"]
    # Then the Map is distributed: child executions read the plan's manifest from S3
    assert batches["ItemProcessor"]["ProcessorConfig"] == {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
    assert batches["ItemReader"] == {
        "Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": {"InputType": "JSON"},
        "Parameters": {"Bucket.$": "$.fan_out.result.bucket", "Key.$": "$.fan_out.result.key"},
    }
    assert batches["ToleratedFailurePercentage"] == 0 and batches["MaxConcurrency"] == 200
    assert "ItemsPath" not in batches
    plan = branch_of(asl, "mail")["States"]["plan.mail"]
    assert plan["Parameters"]["Payload"]["fan_out"] == {"phase": "plan", "map": "distributed"}


@pytest.mark.parametrize(("setting", "concurrency", "mode"), [
    ("inline", 200, "INLINE"), ("distributed", 2, "DISTRIBUTED"), ("auto", 40, "INLINE"),
])  # fmt: skip
def test_the_stack_setting_picks_the_map(setting: str, concurrency: int, mode: str) -> None:
    asl = compiled(outreach(max_concurrency=concurrency), fan_out_map=setting)
    batches = branch_of(asl, "mail")["States"]["batches.mail"]
    assert batches["ItemProcessor"]["ProcessorConfig"]["Mode"] == mode


def test_only_the_merge_opens_the_gates_of_children_waiting_for_a_for_each_node() -> None:
    # Given an N shape (a → c, mail → c, mail → d) where c waits at a gate for a and the fanned-out node
    definition = WorkflowDefinition.model_validate(
        {
            "name": "N",
            "agents": [
                {"id": "a", "type": "sales_intelligence"},
                {"id": "mail", "type": "email_outreach", "for_each": {}},
                {"id": "c", "type": "sales_intelligence"},
                {"id": "d", "type": "sales_intelligence"},
            ],
            "edges": [
                {"source": "a", "target": "c"},
                {"source": "mail", "target": "c"},
                {"source": "mail", "target": "d"},
            ],
        }
    )
    asl = compiled(definition)

    def find(states: dict[str, Any], name: str) -> dict[str, Any] | None:
        for state_name, state in states.items():
            if state_name == name:
                return state
            for branch in state.get("Branches", []):
                found = find(branch["States"], name)
                if found is not None:
                    return found
        return None

    fanned = find(asl["States"], "mail")
    assert fanned is not None
    steps = fanned["Branches"][0]["States"]
    released = {
        name: step["Parameters"]["Payload"].get("release")
        for name, step in steps.items()
        if "Parameters" in step
    }
    assert released == {"plan.mail": None, "merge.mail": ["c"]}


def test_a_64_character_node_id_keeps_every_state_name_within_the_quota() -> None:
    asl = compiled(outreach("m" * 64))
    assert check_quotas(asl) < 10_000


def test_merging_concatenates_lists_in_order_sums_counts_and_keeps_the_first_of_the_rest() -> None:
    batches = [
        {
            "emails_sent": 2,
            "emails": [1, 2],
            "dry_run": False,
            "template": "check_in",
            "totals": {"USD": 1.5},
        },
        {"emails_sent": 1, "emails": [3], "dry_run": False, "template": "check_in", "totals": {"EUR": 2}},
        {"emails_sent": 0, "emails": [], "dry_run": False, "template": "check_in", "totals": {"USD": 1}},
    ]
    merged = None
    for output in batches:
        merged = merge_outputs(merged, output)
    assert merged == {
        "emails_sent": 3,
        "emails": [1, 2, 3],
        "dry_run": False,
        "template": "check_in",
        "totals": {"USD": 2.5, "EUR": 2},
    }


def test_records_are_found_where_the_agent_reads_them_and_replaced_there_only() -> None:
    # Given an input keyed by parent, the deals in the second parent's output
    data = {"tickets": {"count": 0, "mode": "search"}, "sales": {"deals": [{"id": 1}, {"id": 2}], "count": 2}}
    # When located with the email agent's preference
    path, records = records_location(data, ("deals",))
    # Then the path leads there, and a batch's input holds only its records there
    assert path == ("sales", "deals") and records == [{"id": 1}, {"id": 2}]
    batch = with_records(data, path, [{"id": 2}])
    assert batch == {"tickets": data["tickets"], "sales": {"deals": [{"id": 2}], "count": 2}}
    assert data["sales"]["deals"] == [{"id": 1}, {"id": 2}]  # the original is untouched
    assert upstream_items(data, ("deals",)) == ("deals", records)
    assert records_location("Find Q4 deals") == ((), [])


@pytest.mark.parametrize(("agent", "ok"), [
    ({"type": "email_outreach", "config": {}}, True),
    ({"type": "jira", "config": {"mode": "create", "project_key": "OPS"}}, True),
    ({"type": "jira", "config": {"mode": "search", "jql": "project = OPS"}}, False),
    ({"type": "slack", "config": {"channel": "#ops"}}, False),
    ({"type": "slack", "config": {"channel": "#ops", "per_item": True}}, True),
    ({"type": "zendesk", "config": {"mode": "search"}}, False),
    ({"type": "servicenow", "config": {"mode": "create"}}, True),
    ({"type": "hubspot", "config": {"mode": "add_notes"}}, True),
    ({"type": "sap", "config": {}}, True),
    ({"type": "workday", "config": {}}, False),
])  # fmt: skip
def test_for_each_is_accepted_only_where_the_agent_acts_per_upstream_record(
    agent: dict[str, Any], ok: bool
) -> None:
    definition = WorkflowDefinition.model_validate(
        {
            "name": "Fan-out",
            "agents": [
                {"id": "source", "type": "sales_intelligence"},
                {"id": "each", **agent, "for_each": {"batch_size": 5}},
            ],
            "edges": [{"source": "source", "target": "each"}],
        }
    )
    if ok:
        validate_workflow(definition, REGISTRY)
    else:
        with pytest.raises(InvalidInputError, match=r"'each'.*for_each"):
            validate_workflow(definition, REGISTRY)


def test_the_cli_run_progress_shows_a_for_each_nodes_batches() -> None:
    import io

    from agentflow.cli_api import Progress

    # Given the live view of a run whose email node fans out over 7 batches
    out = io.StringIO()
    progress = Progress(out, live=False)

    def execution(status: str, batches: dict[str, int]) -> dict[str, Any]:
        run = {"agent_id": "mail", "agent_type": "email_outreach", "status": status, "batches": batches}
        return {"id": "exec_1", "status": "running", "agent_executions": [run | {"duration_ms": 1200}]}

    # When the batches progress and then the node completes
    progress.update(execution("running", {"total": 7, "completed": 2, "failed": 0}))
    progress.update(execution("running", {"total": 7, "completed": 2, "failed": 0}))
    progress.update(execution("running", {"total": 7, "completed": 5, "failed": 1}))
    progress.update(execution("completed", {"total": 7, "completed": 7, "failed": 0}))
    # Then each change is one line with the batch counts
    assert out.getvalue().splitlines() == [
        "  mail: running  2/7 batches",
        "  mail: running  5/7 batches, 1 failed",
        "  mail: completed in 1.2 s  7/7 batches",
    ]
