"""`agentflow api-keys create` against a deployed stack's outputs (moto's CloudFormation)."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from agentflow.cli import main
from agentflow.store.apikeys import ApiKeyRepository, hash_key

STACK = {
    "Resources": {
        "ApiKeysTable": {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "TableName": "agentflow-api-keys",
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "key_hash", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "key_hash", "KeyType": "HASH"}],
            },
        }
    },
    "Outputs": {"ApiKeysTableName": {"Value": {"Ref": "ApiKeysTable"}}},
}


@mock_aws
def test_create_prints_a_key_once_and_stores_only_its_hash(capsys: pytest.CaptureFixture[str]) -> None:
    boto3.client("cloudformation", region_name="us-east-1").create_stack(
        StackName="agentflow", TemplateBody=json.dumps(STACK)
    )
    assert (
        main(["api-keys", "create", "--tenant", "acme", "--stack-name", "agentflow", "--region", "us-east-1"])
        == 0
    )
    api_key = capsys.readouterr().out.splitlines()[1]
    assert ApiKeyRepository(table="agentflow-api-keys").tenant_of(api_key) == "acme"
    items = boto3.client("dynamodb", region_name="us-east-1").scan(TableName="agentflow-api-keys")["Items"]
    assert [item["key_hash"]["S"] for item in items] == [hash_key(api_key)]
    assert api_key not in json.dumps(items)


@mock_aws
def test_unknown_stack_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["api-keys", "create", "--tenant", "acme", "--stack-name", "missing", "--region", "us-east-1"])
        == 1
    )
    assert "missing" in capsys.readouterr().err


def test_api_key_option_needs_tenant_and_key(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["local", "--api-key", "no-colon"])
    assert "TENANT:KEY" in capsys.readouterr().err


def test_local_registers_the_examples_unless_told_not_to() -> None:
    from agentflow.cli import build_parser

    assert build_parser().parse_args(["local"]).examples is True
    assert build_parser().parse_args(["local", "--no-examples"]).examples is False
