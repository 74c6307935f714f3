"""What a failed document says: the reason its owner can act on, never internals."""

from __future__ import annotations

import json

import pytest

from agentflow.services.ingestion import GENERIC_FAILURE, UNAVAILABLE_FAILURE, failure_reason


def caught(error_type: str, message: str) -> dict[str, str]:
    """The error a Catch hands on: Lambda's error envelope as the Cause."""
    return {"Error": error_type, "Cause": json.dumps({"errorType": error_type, "errorMessage": message})}


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (
            caught("DocumentRejectedError", "The PDF is encrypted; upload it without a password."),
            "The PDF is encrypted; upload it without a password.",
        ),
        (caught("TransientAgentError", "bedrock throttled"), UNAVAILABLE_FAILURE),
        (
            caught("ConnectorError", "OpenAI refused the API key in secret 'agentflow-rag/openai'"),
            "The document could not be indexed: OpenAI refused the API key in secret 'agentflow-rag/openai'",
        ),
        (caught("KeyError", "'chunks' at /var/task/x.py line 3"), GENERIC_FAILURE),
        ({"Error": "States.Timeout", "Cause": "Task timed out"}, GENERIC_FAILURE),
        (None, GENERIC_FAILURE),
    ],
)
def test_failure_reasons(error: object, reason: str) -> None:
    assert failure_reason(error) == reason
