"""Config fields an agent needs only in some of its modes: checked, and stated in the JSON Schema.

An agent config declares them once (``required_in_mode``: every field listed; ``one_of_in_mode``: at
least one of them), and both the validation and the served ``config_schema`` (as ``if``/``then``
per mode) come from that one declaration, so a client filling a form from the schema alone
cannot build a config the API then refuses.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticCustomError

# Values that count as "not given" for a field a mode needs.
EMPTY: tuple[Any, ...] = (None, "", [], {})


def _rules(model: type[BaseModel]) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    return getattr(model, "required_in_mode", {}), getattr(model, "one_of_in_mode", {})


def _quoted(fields: tuple[str, ...]) -> str:
    names = [f"'{name}'" for name in fields]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def check_mode_requirements(config: BaseModel) -> None:
    """Raise a ``mode_requirement`` error naming the first field ``config``'s mode needs and lacks."""
    required, one_of = _rules(type(config))
    mode: str = getattr(config, "mode", "")
    for name in required.get(mode, ()):
        if getattr(config, name) in EMPTY:
            raise PydanticCustomError(
                "mode_requirement",
                "mode '{mode}' needs config field '{field}'",
                {"mode": mode, "field": name},
            )
    fields = one_of.get(mode, ())
    if fields and all(getattr(config, name) in EMPTY for name in fields):
        raise PydanticCustomError(
            "mode_requirement",
            "mode '{mode}' needs at least one of config fields {fields}",
            {"mode": mode, "fields": _quoted(fields)},
        )


def _given(name: str) -> dict[str, Any]:
    return {"required": [name], "properties": {name: {"not": {"enum": list(EMPTY)}}}}


def state_mode_requirements(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """Add the model's mode requirements to its JSON Schema as ``allOf`` of ``if``/``then``.

    A mode that is the field's default applies when ``mode`` is left out, as the API reads it.
    """
    required, one_of = _rules(model)
    conditions = []
    default_mode = model.model_fields["mode"].default if "mode" in model.model_fields else None
    for mode in dict.fromkeys([*required, *one_of]):
        condition: dict[str, Any] = {"properties": {"mode": {"const": mode}}}
        if mode != default_mode:
            condition["required"] = ["mode"]
        then: dict[str, Any] = {"allOf": [_given(name) for name in required.get(mode, ())]}
        if one_of.get(mode):
            then["allOf"].append({"anyOf": [_given(name) for name in one_of[mode]]})
        conditions.append({"if": condition, "then": then})
    if conditions:
        schema["allOf"] = conditions
