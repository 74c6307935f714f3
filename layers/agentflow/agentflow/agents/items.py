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
    path, records = records_location(data, preferred)
    return (path[-1], records) if path else (None, [])


def records_location(
    data: Any, preferred: tuple[str, ...] = ()
) -> tuple[tuple[str, ...], list[dict[str, Any]]]:
    """Where :func:`upstream_items` finds its records: (the keys leading to the list, the records).

    The path is ``(key,)`` in a single upstream output and ``(parent id, key)`` in an input keyed
    by parent; ``()`` when there are no records. ``for_each`` splits the list at this path.
    """
    outputs: list[tuple[tuple[str, ...], Any]] = [((), data)]
    if isinstance(data, dict) and not any(isinstance(value, list) for value in data.values()):
        outputs = [((str(key),), value) for key, value in data.items() if isinstance(value, dict)]
    for key in preferred:
        for prefix, output in outputs:
            if isinstance(output, dict) and isinstance(output.get(key), list):
                return (*prefix, key), [item for item in output[key] if isinstance(item, dict)]
    for prefix, output in outputs:
        if isinstance(output, dict):
            for key, value in output.items():
                if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
                    return (*prefix, str(key)), value
    return (), []


def with_records(data: Any, path: tuple[str, ...], records: list[Any]) -> Any:
    """A copy of ``data`` whose list at ``path`` (from :func:`records_location`) is ``records``.

    Only the dicts along the path are copied; everything else is shared with ``data``.
    """
    if not path:
        return data
    head, *rest = path
    return {**data, head: with_records(data[head], tuple(rest), records) if rest else records}


def upstream_text(data: Any) -> str | None:
    """The execution input when it is a plain request (root nodes), e.g. "Find Q4 deals over $100K"."""
    if isinstance(data, str):
        return data
    if isinstance(data, dict) and isinstance(data.get("query"), str):
        return str(data["query"])
    return None
