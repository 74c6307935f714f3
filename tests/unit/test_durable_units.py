"""Pure parts of durable runs: approval and budget-gate states, digests, version checks, attempt names."""

from __future__ import annotations

import json
from typing import Any

import api_handler
from agentflow.compiler import compile_workflow
from agentflow.models import AgentRun, AgentRunStatus, Workflow, WorkflowDefinition
from agentflow.services.agent_runner import AgentTask
from agentflow.services.approvals import payload_digest
from agentflow.services.executions import attempt_name, execution_id_of, version_conflicts
from tests.helpers import lambda_context, proxy_event

FUNCTIONS = {"sales_intelligence": "arn:sales", "email_outreach": "arn:email", "approval": "arn:approval"}


def definition(budget: dict[str, Any] | None = None) -> WorkflowDefinition:
    return WorkflowDefinition.model_validate(
        {
            "name": "With review",
            "agents": [
                {"id": "deals", "type": "sales_intelligence"},
                {"id": "review", "type": "approval", "config": {"message": "ok?", "timeout_seconds": 120}},
                {"id": "mail", "type": "email_outreach"},
            ],
            "edges": [{"source": "deals", "target": "review"}, {"source": "review", "target": "mail"}],
            "budget": budget,
        }
    )


def test_an_approval_node_waits_for_its_task_token() -> None:
    asl = compile_workflow(definition(), agent_functions=FUNCTIONS, finalizer_arn="arn:final")
    review = asl["States"]["review"]
    assert review["Resource"] == "arn:aws:states:::lambda:invoke.waitForTaskToken"
    assert review["Parameters"]["Payload"]["task_token.$"] == "$$.Task.Token"
    assert review["Parameters"]["FunctionName"] == "arn:approval"
    assert review["TimeoutSeconds"] > 120 and review["Next"] == "mail"


def test_a_budget_gives_each_agent_a_gate_that_leads_back_to_it() -> None:
    asl = compile_workflow(
        definition({"max_tokens": 100}), agent_functions=FUNCTIONS, finalizer_arn="arn:final"
    )
    mail = asl["States"]["mail"]
    assert mail["Catch"][0] == {
        "ErrorEquals": ["BudgetPauseError"],
        "ResultPath": None,
        "Next": "budget.mail",
    }
    assert mail["Catch"][-1]["ErrorEquals"] == ["States.ALL"]
    gate = asl["States"]["budget.mail"]
    assert gate["Next"] == "mail" and gate["Parameters"]["Payload"]["budget_gate"] is True
    assert gate["Resource"].endswith(".waitForTaskToken") and gate["Catch"][0]["ErrorEquals"] == [
        "States.ALL"
    ]
    assert "budget.review" not in asl["States"]
    # each agent task passes on the execution input, which names the attempt, so an agent of a
    # superseded attempt stops at its next record
    assert mail["Parameters"]["Payload"]["execution.$"] == "$"
    machine_input = {
        "tenant_id": "t",
        "execution_id": "exec_1",
        "workflow_id": "wf_1",
        "workflow_version": 1,
        "attempt": attempt_name("exec_1", 2),
    }
    task = AgentTask.model_validate({"execution": machine_input, "node_id": "mail"})
    assert task.attempt == "exec_1-a2"


def test_without_a_budget_there_are_no_gates() -> None:
    asl = compile_workflow(definition(), agent_functions=FUNCTIONS, finalizer_arn="arn:final")
    assert not [name for name in asl["States"] if name.startswith("budget.")]


def test_the_digest_is_sha256_of_the_canonical_json() -> None:
    # keys sorted, no spaces, non-ASCII kept as UTF-8
    assert payload_digest({"b": 1, "a": "é"}) == payload_digest({"a": "é", "b": 1})
    import hashlib

    expected = hashlib.sha256('{"a":"é","b":1}'.encode()).hexdigest()
    assert payload_digest({"b": 1, "a": "é"}) == f"sha256:{expected}"


def workflow(agents: list[tuple[str, str]], edges: list[tuple[str, str]], version: int) -> Workflow:
    return Workflow.model_validate(
        {
            "name": "w",
            "agents": [{"id": node_id, "type": agent_type} for node_id, agent_type in agents],
            "edges": [{"source": s, "target": t} for s, t in edges],
            "id": "wf_1",
            "version": version,
            "created_at": "",
            "updated_at": "",
            "execution_order": [node_id for node_id, _ in agents],
        }
    )


def test_a_version_conflicts_where_a_completed_node_changed_type_parents_or_went() -> None:
    current = workflow([("a", "sales_intelligence"), ("b", "email_outreach")], [("a", "b")], 1)
    done = [AgentRun(agent_id="a", agent_type="sales_intelligence", status=AgentRunStatus.COMPLETED)]
    same = workflow([("a", "sales_intelligence"), ("b", "slack")], [("a", "b")], 2)
    retyped = workflow([("a", "hubspot"), ("b", "email_outreach")], [("a", "b")], 3)
    reparented = workflow([("z", "sales_intelligence"), ("a", "sales_intelligence")], [("z", "a")], 4)
    gone = workflow([("b", "email_outreach")], [], 5)
    assert version_conflicts(done, current, same) == []
    assert version_conflicts(done, current, retyped) == ["a"]
    assert version_conflicts(done, current, reparented) == ["a"]
    assert version_conflicts(done, current, gone) == ["a"]


def test_attempt_names_map_back_to_the_execution() -> None:
    assert attempt_name("exec_1", 1) == "exec_1" and attempt_name("exec_1", 3) == "exec_1-a3"
    assert execution_id_of("exec_1-a3") == "exec_1" and execution_id_of("exec_1") == "exec_1"


def test_the_openapi_document_has_the_durable_routes_and_the_approval_type() -> None:
    def call(method: str, path: str) -> Any:
        return json.loads(api_handler.lambda_handler(proxy_event(method, path), lambda_context())["body"])

    paths = call("GET", "/api/v1/openapi.json")["paths"]
    assert "post" in paths["/api/v1/executions/{execution_id}/resume"]
    assert "post" in paths["/api/v1/executions/{execution_id}/approvals/{node_id}"]
    assert "get" in paths["/api/v1/approvals"]
    types = {item["type"]: item for item in call("GET", "/api/v1/agents/types")["agent_types"]}
    schema = types["approval"]["config_schema"]["properties"]
    assert schema["timeout_seconds"]["minimum"] == 60 and schema["timeout_seconds"]["maximum"] == 604800
    assert schema["on_timeout"]["default"] == "reject"


def test_run_progress_shows_the_budget_the_connector_mode_and_a_wait_for_a_decision() -> None:
    import io

    from agentflow.cli_api import Progress

    execution = {
        "id": "exec_1",
        "status": "waiting_approval",
        "started_at": None,
        "budget": {"max_tokens": 4000},
        "metrics": {"total_tokens": 1234, "total_cost_usd": 0.0},
        "agent_executions": [
            {
                "agent_id": "mail",
                "agent_type": "email_outreach",
                "status": "waiting_approval",
                "connector_mode": "live",
            }
        ],
    }
    out = io.StringIO()
    Progress(out, live=False).update(execution)
    lines = Progress(io.StringIO(), live=True)._lines(execution)
    assert "budget: tokens 1234/4000" in lines[0]
    assert "live" in lines[1] and "waiting_approval" in lines[1]
    assert lines[-1] == "  waiting for a decision: agentflow approvals list"


class _Executions:
    def __init__(self, budget: dict[str, Any]) -> None:
        from agentflow.models import Budget
        from agentflow.store.executions import ExecutionRecord

        self.record = ExecutionRecord(
            tenant_id="t",
            id="exec_1",
            workflow_id="wf_1",
            workflow_version=1,
            created_at="",
            budget=Budget.model_validate(budget),
        )

    def get(self, tenant_id: str, execution_id: str) -> Any:
        return self.record


class _Runs:
    def list(self, tenant_id: str, execution_id: str, with_output: bool = True) -> list[AgentRun]:
        spent = AgentRun(agent_id="deals", agent_type="sales_intelligence", status=AgentRunStatus.COMPLETED)
        spent.input_tokens, spent.tokens, spent.cost_usd = 900, 900, 0.009
        return [spent]


def guard_for(budget: dict[str, Any]) -> Any:
    from agentflow.services.agent_runner import AgentRunner, AgentTask

    runner = AgentRunner(executions=_Executions(budget), runs=_Runs())  # type: ignore[arg-type]
    task = AgentTask(
        tenant_id="t", execution_id="exec_1", workflow_id="wf_1", workflow_version=1, node_id="mail"
    )
    return runner._budget_guard(task, definition(budget))


def test_the_budget_guard_pauses_before_a_call_that_could_pass_tokens_or_cost(monkeypatch: Any) -> None:
    import pytest

    from agentflow.agents.base import Usage
    from agentflow.errors import BudgetPauseError

    # Given the offline model priced at $10 per million tokens either way
    monkeypatch.setenv("LLM_PROVIDER", "offline")
    prices = {"offline-deterministic-v1": {"input_per_million": 10.0, "output_per_million": 10.0}}
    monkeypatch.setenv("LLM_PRICES", json.dumps(prices))
    # Then 900 tokens spent elsewhere + 50 here + a call of up to 50 fits 1000 tokens, one more does not
    tokens = guard_for({"max_tokens": 1000})
    used = Usage(input_tokens=50)
    tokens(50, used)
    with pytest.raises(BudgetPauseError, match="used 950 of its 1000 tokens"):
        tokens(51, used)
    # And $0.009 spent + a call of up to 2,000 tokens ($0.02) passes $0.025, 1,000 ($0.01) does not
    cost = guard_for({"max_cost_usd": 0.025})
    cost(1000, Usage())
    with pytest.raises(BudgetPauseError, match=r"\$0\.0090"):
        cost(2000, Usage())
