"""The AWS adapters: typed shared clients, and services that reach AWS only through the data layer."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from agentflow.aws import client
from agentflow.errors import AwsServiceError, InvalidInputError
from agentflow.store import objects as objects_module
from agentflow.store.events import EventRules, InvalidPatternError, put_event
from agentflow.store.objects import ObjectStore, ObjectTooLargeError
from agentflow.store.scheduler import Scheduler
from agentflow.store.secrets import SecretStore

SERVICES = Path(__file__).parents[2] / "layers" / "agentflow" / "agentflow" / "services"
REGION = "us-east-1"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield


def imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


@pytest.mark.parametrize("path", sorted(SERVICES.glob("*.py")), ids=lambda path: path.name)
def test_services_reach_aws_only_through_the_data_layer(path: Path) -> None:
    reached = {
        module
        for module in imported_modules(path)
        if module.split(".")[0] in {"boto3", "botocore"} or module == "agentflow.aws"
    }
    assert reached == set(), f"{path.name} imports {sorted(reached)}"


def test_clients_are_shared_per_service_and_region() -> None:
    # Given two asks for the same service and Region, and one for another Region
    first, again, elsewhere = client("s3", REGION), client("s3", REGION), client("s3", "eu-west-1")
    # Then the container shares one client per Region, and S3's signs uploads with SigV4
    assert first is again and first is not elsewhere
    assert elsewhere.meta.region_name == "eu-west-1"
    assert first.meta.config.signature_version == "s3v4"


def test_an_object_over_the_limit_is_refused_with_its_size(aws: None) -> None:
    # Given a bucket holding a 2 KB object
    boto3.client("s3", region_name=REGION).create_bucket(Bucket="docs")
    objects = ObjectStore("docs")
    objects.put("a.bin", b"x" * 2048)
    # When it is read with a 1 KB limit, then the error says how big it is; without one it reads
    with pytest.raises(ObjectTooLargeError) as refused:
        objects.get("a.bin", max_bytes=1024)
    assert refused.value.size == 2048
    assert objects.get("a.bin") == b"x" * 2048


def test_many_objects_are_deleted_in_batches_s3_accepts(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given five objects, and DeleteObjects taking two keys a call (S3 takes 1,000)
    monkeypatch.setattr(objects_module, "DELETE_BATCH", 2)
    boto3.client("s3", region_name=REGION).create_bucket(Bucket="docs")
    objects = ObjectStore("docs")
    keys = [f"chunks/{n:06d}.json" for n in range(5)]
    for key in keys:
        objects.put(key, b"[]")
    # When they are deleted by name, together with one that does not exist
    objects.delete_many([*keys, "chunks/missing.json"])
    # Then none is left
    assert boto3.client("s3", region_name=REGION).list_objects_v2(Bucket="docs").get("KeyCount") == 0


def test_a_secret_is_created_then_replaced_and_a_missing_one_reads_as_none(aws: None) -> None:
    secrets = SecretStore()
    secrets.put("agentflow-webhooks/wf", "one", description="d", tags={"agentflow:tenant": "t"})
    secrets.put("agentflow-webhooks/wf", "two", description="d", tags={"agentflow:tenant": "t"})
    assert secrets.get("agentflow-webhooks/wf") == "two"
    secrets.delete("agentflow-webhooks/wf")
    secrets.delete("agentflow-webhooks/wf")  # already gone is fine
    assert secrets.get("agentflow-webhooks/wf") is None


def test_a_refused_event_pattern_is_invalid_input(aws: None) -> None:
    with pytest.raises(InvalidPatternError) as refused:
        EventRules().put(
            "rule",
            {"source": "not-a-list"},
            enabled=True,
            description="d",
            target_arn="arn:aws:lambda:us-east-1:123456789012:function:trigger",
            input_template="{}",
        )
    assert isinstance(refused.value, InvalidInputError)


def test_an_event_eventbridge_does_not_take_is_a_service_error(aws: None) -> None:
    # Given EventBridge answering PutEvents with a throttling error
    with Stubber(client("events", REGION)) as stubbed:
        stubbed.add_client_error("put_events", service_error_code="ThrottlingException", http_status_code=400)
        # When an event is put, then the caller sees the project's error, not botocore's
        with pytest.raises(AwsServiceError, match="did not take the Status Change event"):
            put_event("agentflow", "Status Change", {"status": "completed"})


def test_deleting_a_schedule_that_is_gone_is_fine(aws: None) -> None:
    boto3.client("scheduler", region_name=REGION).create_schedule_group(Name="agentflow")
    Scheduler().delete("no-such-schedule", "agentflow")


def test_only_a_secret_read_loads_powertools_parameters() -> None:
    # Given a fresh interpreter that imports what the API function imports
    code = (
        "import sys, agentflow.services.workflows, agentflow.services.documents, agentflow.services.webhooks;"
        "print('aws_lambda_powertools.utilities.parameters' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    # Then Parameters (a cold-start cost) is not among them
    assert shown.stdout.strip() == "False"
