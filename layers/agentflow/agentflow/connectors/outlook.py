"""Outlook mail: the live Microsoft Graph client and the sandbox outbox.

The live client sends through Graph with an app registration's client credentials (application
permission ``Mail.Send``). It creates a draft and then sends it, rather than calling ``sendMail``,
because ``sendMail`` returns no id and agents report each message's id. The sandbox writes every
message as a JSON line to ``{sandbox_dir}/outbox/outlook.jsonl`` for people and tests to read.

The sandbox emulator lives in ``agentflow_sandbox.outlook`` (the sandbox layer, never deployed with
``ConnectorMode=live``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from agentflow.connectors.base import OutgoingEmail, SentEmail
from agentflow.connectors.http import VendorHttpClient, check_base_url
from agentflow.errors import ConnectorError

LOGIN_BASE_URL = "https://login.microsoftonline.com"
GRAPH_BASE_URL = "https://graph.microsoft.com"
GRAPH_SCOPE_SUFFIX = "/.default"

# Renew a little before expiry so a token cannot lapse between the check and Graph reading it.
_TOKEN_EARLY_RENEWAL_SECONDS = 120.0


class GraphMailClient:
    """The live Outlook connector: Microsoft Graph ``/users/{sender}/messages`` as the sender's mailbox.

    Endpoints: ``POST {login}/{tenant_id}/oauth2/v2.0/token`` (client credentials, scope
    ``{graph}/.default``), ``POST {graph}/v1.0/users/{sender}/messages`` (draft → id) and
    ``POST {graph}/v1.0/users/{sender}/messages/{id}/send`` (202). The sender is the message's
    ``from_address``, a mailbox the app registration may send as.
    """

    name = "outlook"

    def __init__(
        self,
        *,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        credentials_secret: str | None = None,
        allow_loopback: bool = False,
        login_base_url: str = LOGIN_BASE_URL,
        graph_base_url: str = GRAPH_BASE_URL,
        http: VendorHttpClient | None = None,
    ) -> None:
        self.login_base_url = check_base_url(login_base_url, allow_loopback=allow_loopback)
        self.graph_base_url = check_base_url(graph_base_url, allow_loopback=allow_loopback)
        self._tenant_id = tenant_id
        self._client_id = client_id
        self._client_secret = client_secret
        self._token: str | None = None
        self._token_expires_at = 0.0
        self._token_lock = threading.Lock()
        self._http = http or VendorHttpClient(
            self.name, credentials_secret=credentials_secret, allow_loopback=allow_loopback
        )

    @classmethod
    def from_secret(
        cls, secret: Mapping[str, Any], *, secret_name: str, allow_loopback: bool
    ) -> GraphMailClient:
        """A client from a Secrets Manager secret's JSON.

        Required: ``tenant_id``, ``client_id``, ``client_secret``. Optional ``login_base_url`` and
        ``graph_base_url`` select a national cloud (for example ``https://graph.microsoft.us``).
        """
        values: dict[str, str] = {}
        for key in ("tenant_id", "client_id", "client_secret"):
            value = secret.get(key)
            if not isinstance(value, str) or not value:
                raise ConnectorError(f"secret '{secret_name}' lacks {key} (an Entra ID app registration's)")
            values[key] = value
        return cls(
            tenant_id=values["tenant_id"],
            client_id=values["client_id"],
            client_secret=values["client_secret"],
            credentials_secret=secret_name,
            allow_loopback=allow_loopback,
            login_base_url=str(secret.get("login_base_url") or LOGIN_BASE_URL),
            graph_base_url=str(secret.get("graph_base_url") or GRAPH_BASE_URL),
        )

    def close(self) -> None:
        """Release pooled connections."""
        self._http.close()

    def _access_token(self) -> str:
        with self._token_lock:
            if self._token and time.monotonic() < self._token_expires_at:
                return self._token
            response = self._http.request(
                "POST",
                f"{self.login_base_url}/{quote(self._tenant_id, safe='')}/oauth2/v2.0/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": self._client_id,
                    "client_secret": self._client_secret,
                    "scope": f"{self.graph_base_url}{GRAPH_SCOPE_SUFFIX}",
                },
                token_request=True,
            )
            body = response.json()
            token = body.get("access_token")
            if not isinstance(token, str) or not token:
                raise ConnectorError("outlook token endpoint answered without an access_token")
            lifetime = float(body.get("expires_in") or 3599)
            self._token = token
            self._token_expires_at = time.monotonic() + max(0.0, lifetime - _TOKEN_EARLY_RENEWAL_SECONDS)
            return token

    def send(self, email: OutgoingEmail) -> SentEmail:
        """Send ``email`` from its ``from_address`` mailbox; the message id is Graph's draft id."""
        mailbox = f"{self.graph_base_url}/v1.0/users/{quote(email.from_address, safe='@')}"
        headers = {"Authorization": f"Bearer {self._access_token()}"}
        draft = self._http.request(
            "POST",
            f"{mailbox}/messages",
            headers=headers,
            json={
                "subject": email.subject,
                "body": {"contentType": "Text", "content": email.body},
                "toRecipients": [{"emailAddress": {"address": email.to_address, "name": email.to_name}}],
            },
        ).json()
        message_id = draft.get("id") if isinstance(draft, dict) else None
        if not isinstance(message_id, str) or not message_id:
            raise ConnectorError("outlook created a draft but answered without its id")
        # A retry after a failure here creates a new draft: the old one stays unsent in Drafts,
        # which is better than risking a second delivered copy.
        self._http.request("POST", f"{mailbox}/messages/{quote(message_id, safe='')}/send", headers=headers)
        return SentEmail(message_id=message_id, status="sent")
