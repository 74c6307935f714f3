"""The outlook sandbox: outlook's emulator over bundled data, for CONNECTOR_MODE=sandbox."""

from __future__ import annotations

import fcntl
import json
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agentflow.connectors.base import OutgoingEmail, SentEmail, sandbox_pause

LOGIN_BASE_URL = "https://login.microsoftonline.com"
GRAPH_BASE_URL = "https://graph.microsoft.com"
GRAPH_SCOPE_SUFFIX = "/.default"

# Renew a little before expiry so a token cannot lapse between the check and Graph reading it.
_TOKEN_EARLY_RENEWAL_SECONDS = 120.0


_outbox_lock = threading.Lock()


class OutlookSandbox:
    """Outlook without the network: an append-only outbox of JSON lines.

    Each line holds the message, the tenant and the id returned for it. Appends are serialised
    within the process (Parallel branches run in threads locally) and across processes by a file
    lock, so lines never interleave.
    """

    name = "outlook"

    def __init__(self, *, sandbox_dir: str | Path, latency_ms: int = 0, tenant_id: str | None = None) -> None:
        self.outbox_path = Path(sandbox_dir) / "outbox" / "outlook.jsonl"
        self.latency_ms = latency_ms
        self.tenant_id = tenant_id

    def send(self, email: OutgoingEmail) -> SentEmail:
        """Append ``email`` to the outbox and return a generated Graph-like message id."""
        sandbox_pause(self.latency_ms)
        message_id = f"AAMk-sandbox-{uuid.uuid4()}"
        line = json.dumps(
            {
                "message_id": message_id,
                "sent_at": datetime.now(UTC).isoformat(),
                "tenant_id": self.tenant_id,
                "from": email.from_address,
                "to": {"name": email.to_name, "address": email.to_address},
                "subject": email.subject,
                "body": email.body,
            },
            ensure_ascii=False,
        )
        self.outbox_path.parent.mkdir(parents=True, exist_ok=True)
        with _outbox_lock, self.outbox_path.open("a", encoding="utf-8") as outbox:
            fcntl.flock(outbox, fcntl.LOCK_EX)
            try:
                outbox.write(line + "\n")
                outbox.flush()
            finally:
                fcntl.flock(outbox, fcntl.LOCK_UN)
        return SentEmail(message_id=message_id, status="sent")

    def sent(self) -> list[dict[str, Any]]:
        """Every message in the outbox, oldest first (empty before the first send)."""
        if not self.outbox_path.exists():
            return []
        with self.outbox_path.open(encoding="utf-8") as outbox:
            return [json.loads(line) for line in outbox if line.strip()]
