"""Tracing: Lambda's active tracing always, the X-Ray SDK's subsegments only when the stack asks.

Every function runs with ``Tracing: Active`` (template.yaml), and the workflow machines and the API
stage trace too: X-Ray shows each invocation, its cold start and where a run spent its time, with no
SDK inside the function. The SDK (through the Powertools Tracer) adds a subsegment per boto3 call,
but importing it is a large part of a cold start (``make bench`` reports the share). So the handlers
are wrapped by :func:`capture_lambda_handler`, which builds the Tracer, and imports the SDK, only
when ``XRAY_SDK`` is true (the ``XRaySdk`` stack parameter), on the function's first invocation.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from agentflow.settings import get_settings

Handler = TypeVar("Handler", bound=Callable[..., Any])


@functools.cache
def tracer() -> Any:
    """The one Powertools Tracer of the package (boto3 calls become subsegments)."""
    from aws_lambda_powertools import Tracer

    # Only boto3 calls become subsegments: patching every library would import httpx and requests
    # into functions that never use them.
    return Tracer(service="agentflow", patch_modules=["botocore"])


def capture_lambda_handler(handler: Handler) -> Handler:
    """``handler`` traced by the Powertools Tracer when XRAY_SDK is on; as it is otherwise."""
    chosen: list[Callable[..., Any]] = []

    @functools.wraps(handler)
    def wrapper(event: Any, context: Any) -> Any:
        # Decided at the first call, not at import: settings are read lazily (and the local stack
        # runs every function in one process, each with its own environment).
        if not chosen:
            chosen.append(tracer().capture_lambda_handler(handler) if get_settings().xray_sdk else handler)
        return chosen[0](event, context)

    return wrapper  # type: ignore[return-value]
