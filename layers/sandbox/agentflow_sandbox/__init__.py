"""Vendor emulators over bundled data (CONNECTOR_MODE=sandbox): the sandbox layer, never production.

One module per vendor, beside the live client in ``agentflow.connectors.<vendor>`` and with the same
interface; ``data/`` holds the bundled records and documents.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any


def read_data(name: str, path: str | Path | None = None) -> Any:
    """The bundled ``data/<name>`` as JSON, or the file at ``path`` when a test or a user gives one."""
    if path is None:
        return json.loads(resources.files(__name__).joinpath(f"data/{name}").read_text("utf-8"))
    return json.loads(Path(path).read_text(encoding="utf-8"))
