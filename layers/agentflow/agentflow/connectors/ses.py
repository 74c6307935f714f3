"""Amazon SES (v1 ``SendEmail``) as a mail connector, through the typed boto3 client.

There is no separate sandbox: locally boto3 talks to moto, which keeps sent messages and, like SES,
rejects senders that are not verified identities.
"""

from __future__ import annotations

from email.utils import formataddr
from typing import TYPE_CHECKING

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, HTTPClientError

from agentflow.aws import client as aws_client
from agentflow.connectors.base import OutgoingEmail, SentEmail
from agentflow.errors import ConnectorError, TransientAgentError

if TYPE_CHECKING:
    from mypy_boto3_ses import SESClient

_THROTTLING_CODES = frozenset(
    {"Throttling", "ThrottlingException", "TooManyRequestsException", "RequestThrottled"}
)
_SERVER_CODES = frozenset({"InternalFailure", "ServiceUnavailable", "InternalServerError"})
_PERMANENT_MESSAGES = {
    "MessageRejected": "SES rejected the message",
    "MailFromDomainNotVerifiedException": "SES has not verified the sender's MAIL FROM domain",
    "AccountSendingPausedException": "sending is paused for this AWS account in SES",
    "ConfigurationSetSendingPausedException": "sending is paused for the SES configuration set",
    "ConfigurationSetDoesNotExist": "the SES configuration set does not exist",
}
# boto3's own retries stay few: the state machine retries TransientAgentError with backoff.
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=10, read_timeout=30)


class SesMailClient:
    """The SES connector: one ``SendEmail`` call per message, plain-text UTF-8."""

    name = "ses"

    def __init__(self, *, region: str, client: SESClient | None = None) -> None:
        self._client = client or aws_client("ses", region, _CONFIG)

    def send(self, email: OutgoingEmail) -> SentEmail:
        """Send ``email`` and return SES's message id."""
        # formataddr quotes names with commas or quotes and RFC 2047-encodes non-ASCII names;
        # collapsing whitespace first keeps a CR/LF in a name from starting a header of its own.
        recipient = formataddr((" ".join(email.to_name.split()), email.to_address))
        try:
            response = self._client.send_email(
                Source=email.from_address,
                Destination={"ToAddresses": [recipient]},
                Message={
                    "Subject": {"Data": email.subject, "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": email.body, "Charset": "UTF-8"}},
                },
            )
        except ClientError as exc:
            raise _mapped(exc, email) from exc
        except (ConnectionError, HTTPClientError) as exc:
            raise TransientAgentError(f"ses could not be reached ({type(exc).__name__})") from exc
        except BotoCoreError as exc:
            raise ConnectorError(f"ses send failed ({type(exc).__name__})") from exc
        return SentEmail(message_id=response["MessageId"], status="sent")


def _mapped(exc: ClientError, email: OutgoingEmail) -> ConnectorError | TransientAgentError:
    error = exc.response.get("Error", {})
    code = error.get("Code", "")
    detail = error.get("Message", "")
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    if code in _THROTTLING_CODES or code in _SERVER_CODES or status >= 500:
        return TransientAgentError(f"ses is throttling or unavailable ({code or status}): {detail}")
    summary = _PERMANENT_MESSAGES.get(code, f"ses refused the message ({code})")
    return ConnectorError(f"{summary} from {email.from_address}: {detail}")
