"""Input mapping shared by agents: the records in an upstream output.

Agents chain through their outputs: a sales agent returns ``{"deals": [...]}``, a Zendesk agent
``{"tickets": [...]}``, a Workday agent ``{"workers": [...]}``. A downstream agent that acts "per
upstream item" takes the first list of records it finds, preferring the keys it names.
"""

from __future__ import annotations

from typing import Any


def upstream_items(data: Any, preferred: tuple[str, ...] = ()) -> tuple[str | None, list[dict[str, Any]]]:
    """(key, records) of the first list of objects in ``data``.

    ``data`` is an agent input: an upstream output, or ``{parent id: output}`` for several parents.
    Keys in ``preferred`` are tried first (in every parent's output), then any key whose value is a
    non-empty list of objects. Returns ``(None, [])`` when there is none.
    """
    outputs = [data]
    if isinstance(data, dict) and not any(isinstance(value, list) for value in data.values()):
        outputs = [value for value in data.values() if isinstance(value, dict)]
    for key in preferred:
        for output in outputs:
            if isinstance(output, dict) and isinstance(output.get(key), list):
                return key, [item for item in output[key] if isinstance(item, dict)]
    for output in outputs:
        if isinstance(output, dict):
            for key, value in output.items():
                if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
                    return key, value
    return None, []


def upstream_text(data: Any) -> str | None:
    """The execution input when it is a plain request (root nodes), e.g. "Find Q4 deals over $100K"."""
    if isinstance(data, str):
        return data
    if isinstance(data, dict) and isinstance(data.get("query"), str):
        return str(data["query"])
    return None
