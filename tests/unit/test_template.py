"""template.yaml invariants: one least-privilege function per agent type, and what the local stack reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agentflow.local.template import StackTemplate
from agentflow.registry import REGISTRY

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def template() -> StackTemplate:
    return StackTemplate.load(ROOT / "template.yaml", "agentflow-test", "us-east-1")


def agent_functions(template: StackTemplate) -> dict[str, str]:
    return {
        spec.environment["AGENT_TYPE"]: logical_id
        for logical_id, spec in template.functions().items()
        if "AGENT_TYPE" in spec.environment
    }


def test_every_agent_type_has_its_own_function(template: StackTemplate) -> None:
    assert sorted(agent_functions(template)) == sorted(REGISTRY.types())


def test_the_compiler_map_points_at_those_functions(template: StackTemplate) -> None:
    functions = template.functions()
    api = functions["ApiFunction"].environment
    mapping = dict(item.split("=", 1) for item in api["AGENT_FUNCTIONS"].split(","))
    assert mapping == {agent: functions[logical].arn for agent, logical in agent_functions(template).items()}
    assert api["FINALIZER_FUNCTION_ARN"] == functions["StatusFunction"].arn


def test_state_machines_may_invoke_only_agents_and_the_finalizer(template: StackTemplate) -> None:
    role = template.roles()["StateMachineRole"]
    statements = [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]
    invoke = next(s for s in statements if s["Action"] == "lambda:InvokeFunction")
    functions = template.functions()
    allowed = {functions[logical].arn for logical in agent_functions(template).values()} | {
        functions["StatusFunction"].arn
    }
    assert set(invoke["Resource"]) == allowed


def test_agent_functions_cannot_touch_api_keys_or_state_machines_beyond_opening_gates(
    template: StackTemplate,
) -> None:
    # Agents open start gates (SendTaskSuccess) and may do nothing else with Step Functions
    for logical_id in agent_functions(template).values():
        policies = template.resources[logical_id]["Properties"]["Policies"]
        assert "ApiKeysTable" not in str(policies)
        actions = {
            action
            for policy in policies
            for statement in (policy.get("Statement", []) if isinstance(policy, dict) else [])
            for action in (
                [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
            )
            if action.startswith("states:")
        }
        # Agents open their children's start gates; the approval function also answers the task
        # token of an approval decided in an earlier attempt. Both are SendTaskSuccess, nothing else.
        assert actions == {"states:SendTaskSuccess"}


def test_the_repair_runs_every_minute_and_may_answer_approvals(template: StackTemplate) -> None:
    status = template.resources["StatusFunction"]["Properties"]
    repair = status["Events"]["Repair"]
    assert repair["Type"] == "Schedule" and repair["Properties"]["Schedule"] == "rate(1 minute)"
    assert "states:SendTaskFailure" in str(status["Policies"]) and "states:StartExecution" in str(
        status["Policies"]
    )
    api = str(template.resources["ApiFunction"]["Properties"]["Policies"])
    assert "states:SendTaskSuccess" in api and "states:SendTaskFailure" in api


def test_functions_run_python_311_with_the_layer(template: StackTemplate) -> None:
    function_globals = template.document["Globals"]["Function"]
    assert function_globals["Runtime"] == "python3.11"
    assert function_globals["Layers"][0] == {"Ref": "AgentFlowLayer"}


def test_deployed_connectors_default_to_live(template: StackTemplate) -> None:
    # Given the template's defaults, When nothing is overridden, Then agents call the vendors.
    assert template.document["Parameters"]["ConnectorMode"]["Default"] == "live"
    assert template.functions()["SlackAgentFunction"].environment["CONNECTOR_MODE"] == "live"


def test_the_sandbox_layer_is_attached_only_in_sandbox_mode(template: StackTemplate) -> None:
    layers = template.document["Globals"]["Function"]["Layers"]
    assert layers[1] == {"Fn::If": ["SandboxConnectors", {"Ref": "SandboxLayer"}, {"Ref": "AWS::NoValue"}]}
    assert template.resources["SandboxLayer"]["Condition"] == "SandboxConnectors"
    assert "SandboxLayer" not in template.of_type("AWS::Serverless::LayerVersion")
    sandboxed = StackTemplate.load(
        ROOT / "template.yaml", "agentflow-test", "us-east-1", {"ConnectorMode": "sandbox"}
    )
    assert "SandboxLayer" in sandboxed.of_type("AWS::Serverless::LayerVersion")
    assert sandboxed.resources["SandboxLayer"]["Properties"]["ContentUri"] == "layers/sandbox"


def test_the_local_stack_keeps_sandbox_connectors_by_default(tmp_path: Path) -> None:
    from agentflow.local.stack import LocalStack

    stack = LocalStack(data_dir=tmp_path, mode="inprocess")
    assert stack.lambdas.overrides["CONNECTOR_MODE"] == "sandbox"


def test_only_health_docs_and_openapi_skip_the_authorizer(template: StackTemplate) -> None:
    public = {route.path for route in template.routes() if not route.authorized}
    assert public == {
        "/api/v1/health",
        "/docs",
        "/api/v1/openapi.json",
        "/api/v1/workflows/{workflow_id}/trigger",
    }


def test_every_function_has_a_log_group_with_retention(template: StackTemplate) -> None:
    groups = template.of_type("AWS::Logs::LogGroup")
    named = {str(spec["Properties"]["LogGroupName"]) for spec in groups.values()}
    for logical_id in template.functions():
        assert any(logical_id in name for name in named), logical_id
    assert all("RetentionInDays" in spec["Properties"] for spec in groups.values())


def test_every_registered_agent_loads_as_its_type() -> None:
    # The registry imports lazily; a wrong path or a mismatched type must fail here, not in a Lambda.
    assert [info.type for info in REGISTRY.describe()] == REGISTRY.types()


CONSOLE_RESOURCES = {
    "ConsoleBucket",
    "ConsoleOriginAccessControl",
    "ConsoleBucketPolicy",
    "ConsoleDistribution",
}


def test_the_console_is_off_by_default_and_the_local_stack_makes_none_of_it(template: StackTemplate) -> None:
    assert template.parameters["DeployConsole"] == "false"
    conditional = {
        name for name, spec in template.resources.items() if spec.get("Condition") == "ConsoleEnabled"
    }
    assert conditional == CONSOLE_RESOURCES
    assert not any("console" in bucket for bucket in template.buckets())
    assert template.of_type("AWS::CloudFront::Distribution") == {}


def test_deploying_the_console_routes_api_paths_to_the_api_uncached() -> None:
    # Given the template with DeployConsole=true
    enabled = StackTemplate.load(
        ROOT / "template.yaml", "agentflow-test", "us-east-1", overrides={"DeployConsole": "true"}
    )
    distribution = enabled.of_type("AWS::CloudFront::Distribution")["ConsoleDistribution"]
    config = distribution["Properties"]["DistributionConfig"]
    origins = {origin["Id"]: enabled.resolve(origin) for origin in config["Origins"]}
    # Then the bucket is private, read through Origin Access Control only
    assert set(enabled.of_type("AWS::S3::Bucket")) >= {"ConsoleBucket"}
    bucket = enabled.resources["ConsoleBucket"]["Properties"]["PublicAccessBlockConfiguration"]
    assert all(bucket.values())
    assert "OriginAccessControlId" in config["Origins"][0]
    # And /api/* reaches the stage of the REST API with caching off, every method allowed
    (api_behaviour,) = config["CacheBehaviors"]
    assert api_behaviour["PathPattern"] == "/api/*" and api_behaviour["TargetOriginId"] == "api"
    api_id = enabled.physical_name("AgentFlowApi")
    assert origins["api"]["DomainName"] == f"{api_id}.execute-api.us-east-1.amazonaws.com"
    assert origins["api"]["OriginPath"] == "/prod"
    assert api_behaviour["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # CachingDisabled
    assert api_behaviour["OriginRequestPolicyId"] == "b689b0a8-53d0-40ab-baf2-68738e2966ac"
    assert {"POST", "PUT", "PATCH", "DELETE"} <= set(api_behaviour["AllowedMethods"])
    assert enabled.document["Outputs"]["ConsoleUrl"]["Condition"] == "ConsoleEnabled"


# --- security (tools/security_scan.py runs checkov on the translated template in `make test`) ----


def policy_statements(template: StackTemplate) -> list[tuple[str, dict[str, Any]]]:
    """(resource, statement) for every inline IAM statement: roles, and SAM functions' Policies."""
    found: list[tuple[str, dict[str, Any]]] = []
    for logical_id, spec in template.resources.items():
        properties = spec.get("Properties") or {}
        if spec["Type"] == "AWS::IAM::Role":
            for policy in properties.get("Policies", []):
                found += [(logical_id, s) for s in policy["PolicyDocument"]["Statement"]]
        elif spec["Type"] == "AWS::Serverless::Function":
            for policy in properties.get("Policies", []):
                found += [(logical_id, s) for s in policy.get("Statement", [])]
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# X-Ray's trace APIs take no resource: AWS documents "*" as their only resource.
# Actions IAM authorises on no resource type: X-Ray's, and the task-token answers of Step Functions
# (a token names a task, not an ARN).
UNSCOPED_ACTIONS = {
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "states:SendTaskSuccess",
    "states:SendTaskFailure",
    "states:SendTaskHeartbeat",
}


def test_no_policy_grants_a_wildcard_action_or_resource_aws_lets_us_scope(template: StackTemplate) -> None:
    for logical_id, statement in policy_statements(template):
        actions = as_list(statement["Action"])
        assert not any(action == "*" or action.endswith(":*") for action in actions), (logical_id, actions)
        if "*" in as_list(statement["Resource"]):
            assert set(actions) <= UNSCOPED_ACTIONS, (logical_id, statement)


def test_the_email_agent_may_send_only_as_the_stacks_sender(template: StackTemplate) -> None:
    # Given the email agent's SES statement
    (ses,) = [
        statement
        for logical_id, statement in policy_statements(template)
        if logical_id == "EmailOutreachAgentFunction" and "ses:SendEmail" in as_list(statement["Action"])
    ]
    # Then it names the sender's identity (its address, or its verified domain), nothing else
    identity = "arn:aws:ses:us-east-1:123456789012:identity/"
    assert template.resolve(ses["Resource"]) == [f"{identity}agentflow@example.com", f"{identity}example.com"]


def test_every_table_has_point_in_time_recovery(template: StackTemplate) -> None:
    tables = template.of_type("AWS::DynamoDB::Table")
    assert "ExecutionLogsTable" in tables
    for logical_id, spec in tables.items():
        assert spec["Properties"]["PointInTimeRecoverySpecification"] == {
            "PointInTimeRecoveryEnabled": True
        }, logical_id


def test_the_api_writes_an_access_log_line_per_request(template: StackTemplate) -> None:
    api = template.resources["AgentFlowApi"]
    setting = api["Properties"]["AccessLogSetting"]
    assert setting["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    line = json.loads(setting["Format"])
    assert {"requestId", "method", "path", "status", "ms"} <= set(line)
    # API Gateway logs only once the account's CloudWatch role is set, so the API waits for it
    assert api["DependsOn"] == "ApiGatewayAccount"
    assert template.resources["ApiGatewayAccount"]["Properties"]["CloudWatchRoleArn"] == {
        "Fn::GetAtt": ["ApiGatewayLogsRole", "Arn"]
    }


def test_functions_invoked_asynchronously_keep_their_failed_events(template: StackTemplate) -> None:
    # Schedules, event rules and S3 notifications invoke these; the rest are invoked synchronously.
    for logical_id in ("TriggerFunction", "StatusFunction", "IngestUploadFunction"):
        queue = template.resources[logical_id]["Properties"]["DeadLetterQueue"]
        assert queue == {"Type": "SQS", "TargetArn": {"Fn::GetAtt": ["AsyncFailuresQueue", "Arn"]}}


def test_every_checkov_suppression_gives_its_reason(template: StackTemplate) -> None:
    skips = [
        (logical_id, skip)
        for logical_id, spec in template.resources.items()
        for skip in ((spec.get("Metadata") or {}).get("checkov") or {}).get("skip", [])
    ]
    assert skips
    for logical_id, skip in skips:
        assert skip["id"].startswith("CKV_") and len(skip["comment"]) > 20, (logical_id, skip)
