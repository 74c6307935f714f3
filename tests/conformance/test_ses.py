"""SES against AWS's own machine-readable description: botocore's service model of SES.

The call is captured with botocore's Stubber, which validates the parameters against the model
the same way every real call is validated; the test also checks the required members by name.
"""

from __future__ import annotations

import boto3
from botocore.stub import Stubber

from agentflow.connectors.base import OutgoingEmail
from agentflow.connectors.ses import SesMailClient
from tests.conformance.vendor_specs import COVERAGE


def test_send_email_matches_the_ses_service_model() -> None:
    client = boto3.client("ses", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    model = client.meta.service_model.operation_model("SendEmail")
    with Stubber(client) as stub:
        # Stubber refuses parameters the model does not describe, as botocore does before sending.
        stub.add_response("send_email", {"MessageId": "0100019a-1"})
        sent = SesMailClient(region="us-east-1", client=client).send(
            OutgoingEmail(
                to_name="Ana, Ops", to_address="ana@example.com", from_address="sales@example.com",
                subject="Hi", body="Hello",
            )
        )  # fmt: skip
        stub.assert_no_pending_responses()
    assert sent.message_id == "0100019a-1"
    assert set(model.input_shape.required_members) == {"Source", "Destination", "Message"}
    COVERAGE.add("Amazon SES (botocore model)", "SendEmail")
