"""SES and Secrets Manager through boto3 against moto, and the factory building live connectors.

The factory test reads a real (moto) secret and then queries a fake Salesforce on loopback, the
whole path a live agent run takes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from email.header import decode_header, make_header
from email.utils import parseaddr

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from pytest_httpserver import HTTPServer

from agentflow.aws import client as aws_client
from agentflow.connectors.base import OpportunityQuery, OutgoingEmail
from agentflow.connectors.factory import ConnectorFactory
from agentflow.connectors.outlook import GraphMailClient
from agentflow.connectors.salesforce import SalesforceClient
from agentflow.connectors.secrets import clear_secret_cache, read_secret
from agentflow.connectors.ses import SesMailClient
from agentflow.errors import ConnectorError, TransientAgentError
from agentflow.settings import Settings

REGION = "us-east-1"
SENDER = "agentflow@example.com"


@pytest.fixture(autouse=True)
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fake credentials, one region, and moto in front of every AWS call."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    clear_secret_cache()
    with mock_aws():
        yield
    clear_secret_cache()


def an_email(**changes: str) -> OutgoingEmail:
    fields = {
        "to_name": "Maria Chen",
        "to_address": "maria.chen@sales.example.com",
        "from_address": SENDER,
        "subject": "Checking in: Northwind Logistics — Fleet Analytics Platform",
        "body": "Hi Maria,\n\nHow is the Northwind Logistics deal going? Close date: 2026-11-14.",
    }
    return OutgoingEmail.model_validate(fields | changes)


def sent_messages() -> list:
    return ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages


# --- SES ---------------------------------------------------------------------------------------


def test_ses_sends_from_a_verified_sender() -> None:
    # Given a verified sender identity
    boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=SENDER)
    # When a message is sent
    sent = SesMailClient(region=REGION).send(an_email())
    # Then SES holds it under the returned id, with its subject, body and recipient
    [message] = sent_messages()
    assert (sent.message_id, sent.status) == (message.id, "sent")
    assert message.source == SENDER
    assert message.subject == "Checking in: Northwind Logistics — Fleet Analytics Platform"
    assert message.body == an_email().body
    assert message.destinations["ToAddresses"] == ["Maria Chen <maria.chen@sales.example.com>"]


@pytest.mark.parametrize("name", ["José Núñez", "Chen, Maria", 'Maria "MC" Chen'])
def test_recipient_names_are_encoded_so_they_round_trip(name: str) -> None:
    boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=SENDER)
    SesMailClient(region=REGION).send(an_email(to_name=name))
    [recipient] = sent_messages()[0].destinations["ToAddresses"]
    assert recipient.isascii()
    shown_name, address = parseaddr(recipient)
    assert address == "maria.chen@sales.example.com"
    assert str(make_header(decode_header(shown_name))) == name


def test_a_line_break_in_a_name_cannot_add_a_header() -> None:
    boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=SENDER)
    SesMailClient(region=REGION).send(an_email(to_name="Maria\r\nBcc: eve@attacker.example"))
    [recipient] = sent_messages()[0].destinations["ToAddresses"]
    assert "\n" not in recipient and "\r" not in recipient


def test_an_unverified_sender_is_a_connector_error() -> None:
    # Given no verified identities
    # When a message is sent
    with pytest.raises(ConnectorError) as raised:
        SesMailClient(region=REGION).send(an_email())
    # Then the error says SES rejected it and from whom; nothing was sent
    assert not isinstance(raised.value, TransientAgentError)
    assert raised.value.message.startswith(f"SES rejected the message from {SENDER}")
    assert sent_messages() == []


@pytest.mark.parametrize("code", ["Throttling", "TooManyRequestsException"])
def test_ses_throttling_is_transient(code: str) -> None:
    client = boto3.client("ses", region_name=REGION)
    with Stubber(client) as stubber:
        stubber.add_client_error("send_email", service_error_code=code, http_status_code=400)
        with pytest.raises(TransientAgentError, match=code):
            SesMailClient(region=REGION, client=client).send(an_email())


def test_ses_server_errors_are_transient() -> None:
    client = boto3.client("ses", region_name=REGION)
    with Stubber(client) as stubber:
        stubber.add_client_error("send_email", service_error_code="ServiceUnavailable", http_status_code=503)
        with pytest.raises(TransientAgentError):
            SesMailClient(region=REGION, client=client).send(an_email())


def test_an_unverified_mail_from_domain_is_a_clear_connector_error() -> None:
    client = boto3.client("ses", region_name=REGION)
    with Stubber(client) as stubber:
        stubber.add_client_error(
            "send_email", service_error_code="MailFromDomainNotVerifiedException", http_status_code=400
        )
        with pytest.raises(ConnectorError, match="MAIL FROM domain"):
            SesMailClient(region=REGION, client=client).send(an_email())


# --- Secrets Manager ---------------------------------------------------------------------------


def test_read_secret_returns_the_json_object_and_caches_it() -> None:
    # Given a JSON secret
    secrets = boto3.client("secretsmanager", region_name=REGION)
    secrets.create_secret(Name="prod/sf", SecretString=json.dumps({"instance_url": "https://a.example.com"}))
    # When it is read, changed, and read again
    first = read_secret("prod/sf", REGION)
    secrets.put_secret_value(
        SecretId="prod/sf", SecretString=json.dumps({"instance_url": "https://b.example.com"})
    )
    second = read_secret("prod/sf", REGION)
    # Then both reads answer from the cache until it is cleared
    assert first == second == {"instance_url": "https://a.example.com"}
    clear_secret_cache()
    assert read_secret("prod/sf", REGION) == {"instance_url": "https://b.example.com"}


def test_a_throttled_secrets_manager_is_transient_and_nothing_is_cached() -> None:
    # Given Secrets Manager throttling the first read of a JSON secret
    boto3.client("secretsmanager", region_name=REGION).create_secret(Name="prod/t", SecretString='{"a": 1}')
    with Stubber(aws_client("secretsmanager", REGION)) as stubbed:
        stubbed.add_client_error(
            "get_secret_value", service_error_code="ThrottlingException", http_status_code=400
        )
        # When it is read, then the run may retry
        with pytest.raises(TransientAgentError, match="could not read secret 'prod/t' now"):
            read_secret("prod/t", REGION)
    # And the next read reaches Secrets Manager again
    assert read_secret("prod/t", REGION) == {"a": 1}


def test_a_missing_secret_is_a_connector_error_naming_it() -> None:
    with pytest.raises(ConnectorError, match="secret 'prod/nope' does not exist"):
        read_secret("prod/nope", REGION)


def test_a_non_json_secret_is_refused_without_echoing_it() -> None:
    boto3.client("secretsmanager", region_name=REGION).create_secret(Name="prod/raw", SecretString="hunter2")
    with pytest.raises(ConnectorError) as raised:
        read_secret("prod/raw", REGION)
    assert raised.value.message == "secret 'prod/raw' is not valid JSON"
    assert raised.value.__cause__ is None


# --- the factory, live -------------------------------------------------------------------------


def live_settings(*, allow_loopback: bool) -> Settings:
    return Settings.model_validate(
        {
            "CONNECTOR_MODE": "live",
            "AWS_REGION": REGION,
            "AGENTFLOW_CONNECTOR_ALLOW_LOOPBACK": "true" if allow_loopback else "false",
        }
    )


@pytest.mark.enable_socket  # the fake Salesforce listens on loopback
def test_factory_builds_a_live_salesforce_client_from_a_secret(httpserver: HTTPServer) -> None:
    # Given a secret with the org's URL (the fake Salesforce) and an access token
    boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="agentflow/t_acme/salesforce",
        SecretString=json.dumps(
            {"instance_url": httpserver.url_for("/"), "access_token": "00Dxx!from-secret"}
        ),
    )
    httpserver.expect_request(
        "/services/data/v61.0/query", method="GET", headers={"Authorization": "Bearer 00Dxx!from-secret"}
    ).respond_with_json(
        {
            "totalSize": 1,
            "done": True,
            "records": [
                {
                    "Id": "0065g00000AbCdEAAZ",
                    "Name": "Fabrikam Industrial — MES Upgrade",
                    "Amount": 180000,
                    "StageName": "Negotiation/Review",
                    "CloseDate": "2026-12-01",
                    "Probability": 90,
                    "AccountId": None,
                    "Account": None,
                    "Owner": {"Name": "James Okafor", "Email": "james.okafor@sales.example.com"},
                    "OpportunityContactRoles": None,
                }
            ],
        }
    )
    factory = ConnectorFactory(live_settings(allow_loopback=True), tenant_id="t_acme")
    # When an agent asks for the CRM and queries it
    crm = factory.crm("salesforce", "agentflow/t_acme/salesforce")
    deals = crm.find_opportunities(OpportunityQuery(stage="Negotiation"))
    # Then it got the live client, which used the secret's token
    assert isinstance(crm, SalesforceClient)
    httpserver.check_assertions()
    assert [(deal.id, deal.close_date, deal.account_name) for deal in deals] == [
        ("0065g00000AbCdEAAZ", date(2026, 12, 1), "")
    ]


def test_factory_refuses_a_loopback_url_from_a_secret_unless_allowed() -> None:
    boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="agentflow/t_acme/sf",
        SecretString=json.dumps({"instance_url": "http://127.0.0.1:8080", "access_token": "x"}),
    )
    factory = ConnectorFactory(live_settings(allow_loopback=False), tenant_id="t_acme")
    with pytest.raises(ConnectorError, match="must use https"):
        factory.crm("salesforce", "agentflow/t_acme/sf")


def test_factory_builds_a_live_graph_client_from_a_secret() -> None:
    boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="agentflow/t_acme/graph",
        SecretString=json.dumps({"tenant_id": "t", "client_id": "c", "client_secret": "s"}),
    )
    factory = ConnectorFactory(live_settings(allow_loopback=False), tenant_id="t_acme")
    mail = factory.mail("outlook", "agentflow/t_acme/graph")
    assert isinstance(mail, GraphMailClient)
    assert mail.graph_base_url == "https://graph.microsoft.com"


def test_factory_ses_is_the_boto3_client_in_every_mode(tmp_path) -> None:
    # Given sandbox mode (the local stack) and a verified sender in moto
    boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=SENDER)
    settings = Settings.model_validate(
        {"CONNECTOR_MODE": "sandbox", "AWS_REGION": REGION, "SANDBOX_DIR": str(tmp_path)}
    )
    # When the agent sends through "ses"
    sent = ConnectorFactory(settings, tenant_id="t_acme").mail("ses", None).send(an_email())
    # Then the message went through SES (moto), not a sandbox outbox
    assert [message.id for message in sent_messages()] == [sent.message_id]
    assert not (tmp_path / "outbox").exists()


def test_factory_refuses_another_tenants_secret() -> None:
    # Given tenant t_acme's agent naming a secret of tenant t_globex (or one outside agentflow/)
    factory = ConnectorFactory(live_settings(allow_loopback=False), tenant_id="t_acme")
    for name in ("agentflow/t_globex/salesforce", "prod/sf", "agentflow/t_acme/../t_globex/sf"):
        # Then it is refused before Secrets Manager is asked, naming the expected prefix
        with pytest.raises(ConnectorError, match="agentflow/t_acme/"):
            factory.crm("salesforce", name)
