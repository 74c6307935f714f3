"""In-process Lambda runtime: moto's Lambda invocations run the project's Python handlers.

moto would run functions in Docker, which the local stack does without. Every invocation path
(Invoke, Step Functions tasks) goes through ``LambdaFunction._invoke_lambda``; routing it here
runs the handler with the function's environment and timeout, and returns Lambda's error envelope
on an exception so that Step Functions' Retry and Catch see the error name as on AWS.
"""

from __future__ import annotations

import contextvars
import importlib
import json
import sys
import threading
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from agentflow.local.template import FunctionSpec
from agentflow.observability import logger
from agentflow.settings import function_environment

Handler = Callable[[Any, Any], Any]

# The moto the local stack is written against (pyproject's `local` extra pins the same version).
MOTO_VERSION = "5.2.5"
# moto's private hooks the local stack patches or calls: (module, attribute path, parameters).
MOTO_HOOKS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("moto.awslambda.models", "LambdaFunction._invoke_lambda", ("self", "event")),
    ("moto.events.models", "Rule.send_to_targets", ("self", "original_event", "transform_input")),
    ("moto.events.utils", "EventTemplateParser.parse", ("input_template", "input_paths_map", "event")),
    ("moto.server", "ThreadedMotoServer", ()),
)


class MotoHooksError(RuntimeError):
    """The installed moto lacks a private hook the local stack patches (another moto version)."""


def check_moto_hooks() -> None:
    """Fail with the moto version needed when a hook the local stack relies on is missing or changed.

    The local stack routes Lambda invocations and EventBridge targets by replacing moto internals;
    a moto that renamed them would otherwise run functions in Docker or drop events, silently.
    """
    import inspect

    try:
        from importlib.metadata import version

        installed = version("moto")
    except Exception:  # metadata missing: name it rather than fail on the message
        installed = "unknown"
    problems = []
    for module_name, path, parameters in MOTO_HOOKS:
        try:
            target: Any = importlib.import_module(module_name)
            for part in path.split("."):
                target = getattr(target, part)
        except (ImportError, AttributeError):
            problems.append(f"{module_name}.{path} is missing")
            continue
        if parameters:
            names = tuple(inspect.signature(target).parameters)[: len(parameters)]
            if names != parameters:
                problems.append(
                    f"{module_name}.{path} takes ({', '.join(names)}), not ({', '.join(parameters)})"
                )
    if problems:
        raise MotoHooksError(
            f"the local stack needs moto {MOTO_VERSION} (installed: {installed}): "
            + "; ".join(problems)
            + f". Install it with: pip install 'moto[server]=={MOTO_VERSION}'"
        )


@dataclass
class LambdaContext:
    """The context object a Lambda handler receives (what Powertools reads from it)."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    timeout_seconds: int = 30
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = ""
    log_stream_name: str = ""

    def get_remaining_time_in_millis(self) -> int:
        return self.timeout_seconds * 1000


class FunctionFailedError(Exception):
    """A handler raised or timed out; carries Lambda's error envelope."""

    def __init__(self, envelope: dict[str, Any]) -> None:
        super().__init__(envelope["errorMessage"])
        self.envelope = envelope


class InProcessLambdas:
    """The template's functions, callable by name, each with its own environment."""

    def __init__(self, functions: Mapping[str, FunctionSpec], overrides: Mapping[str, str]) -> None:
        self.by_name = {spec.name: spec for spec in functions.values()}
        self.by_logical_id = dict(functions)
        self.overrides = dict(overrides)
        self._handlers: dict[str, Handler] = {}
        self._lock = threading.Lock()
        self._original: Any = None
        self._original_send: Any = None

    def _handler(self, spec: FunctionSpec) -> Handler:
        with self._lock:
            if spec.name not in self._handlers:
                module_name, function_name = spec.handler.rsplit(".", 1)
                code_dir = str(spec.code_dir.resolve())
                if code_dir not in sys.path:
                    sys.path.insert(0, code_dir)  # as Lambda puts /var/task on the path
                self._handlers[spec.name] = getattr(importlib.import_module(module_name), function_name)
            return self._handlers[spec.name]

    def environment(self, spec: FunctionSpec) -> dict[str, str]:
        return {**spec.environment, **self.overrides, "AWS_LAMBDA_FUNCTION_NAME": spec.name}

    def call(self, name: str, event: Any) -> Any:
        """Run function ``name`` (physical name or logical id) on ``event`` and return its result.

        Raises :class:`FunctionFailedError` when the handler raises or exceeds the function's timeout.
        """
        spec = self.by_name.get(name) or self.by_logical_id[name]
        handler = self._handler(spec)
        context = LambdaContext(
            function_name=spec.name, invoked_function_arn=spec.arn, timeout_seconds=spec.timeout
        )
        outcome: dict[str, Any] = {}

        def run() -> None:
            with function_environment(self.environment(spec)):
                try:
                    outcome["result"] = handler(event, context)
                except Exception as error:
                    outcome["error"] = {
                        "errorMessage": str(error),
                        "errorType": type(error).__name__,
                        "stackTrace": traceback.format_exception(error)[-5:],
                    }

        worker = threading.Thread(target=contextvars.copy_context().run, args=(run,), daemon=True)
        worker.start()
        worker.join(spec.timeout)
        if worker.is_alive():
            raise FunctionFailedError(
                {
                    "errorMessage": f"Task timed out after {spec.timeout}.00 seconds",
                    "errorType": "Sandbox.Timedout",
                }
            )
        if "error" in outcome:
            raise FunctionFailedError(outcome["error"])
        return outcome.get("result")

    def _invoke_for_moto(self, function: Any, event: Any = None) -> tuple[str, bool, str]:
        payload = json.loads(event) if isinstance(event, str | bytes) and event else (event or {})
        try:
            return json.dumps(self.call(function.function_name, payload), default=str), False, ""
        except FunctionFailedError as failure:
            return json.dumps(failure.envelope), True, ""

    def install(self) -> None:
        """Route moto's Lambda invocations to :meth:`call`."""
        from moto.awslambda.models import LambdaFunction

        self._original = LambdaFunction._invoke_lambda
        runtime = self

        def invoke(function: Any, event: Any = None) -> tuple[str, bool, str]:
            if function.function_name in runtime.by_name:
                return runtime._invoke_for_moto(function, event)
            original: Any = runtime._original
            return original(function, event)

        setattr(LambdaFunction, "_invoke_lambda", invoke)  # noqa: B010 - patching moto on purpose
        self._install_event_targets()

    def _install_event_targets(self) -> None:
        """Deliver EventBridge rules' Lambda targets in-process (moto delivers only to SQS, logs, buses).

        As on AWS, the rule's InputTransformer shapes the payload and the invocation is asynchronous.
        """
        from moto.events.models import Rule
        from moto.events.utils import EventTemplateParser

        self._original_send = Rule.send_to_targets
        runtime = self

        def send_to_targets(rule: Any, event: Any, transform_input: bool = True) -> None:
            mine = [t for t in rule.targets if t["Arn"].rsplit(":", 1)[-1] in runtime.by_name]
            others = [t for t in rule.targets if t not in mine]
            if mine and rule.event_pattern.matches_event(event):
                for target in mine:
                    transformer = target.get("InputTransformer") or {}
                    payload = EventTemplateParser.parse(
                        input_template=transformer.get("InputTemplate") or "",
                        input_paths_map=transformer.get("InputPathsMap", {}),
                        event=event,
                    )
                    name = target["Arn"].rsplit(":", 1)[-1]
                    threading.Thread(target=runtime._call_async, args=(name, payload), daemon=True).start()
            if others:
                kept, rule.targets = rule.targets, others
                try:
                    runtime._original_send(rule, event, transform_input)
                finally:
                    rule.targets = kept

        setattr(Rule, "send_to_targets", send_to_targets)  # noqa: B010

    def _call_async(self, name: str, payload: Any) -> None:
        try:
            self.call(name, payload)
        except FunctionFailedError as failure:
            logger.error("Asynchronous invocation failed", extra={"function": name, **failure.envelope})

    def uninstall(self) -> None:
        if self._original is not None:
            from moto.awslambda.models import LambdaFunction

            setattr(LambdaFunction, "_invoke_lambda", self._original)  # noqa: B010
            self._original = None
        if getattr(self, "_original_send", None) is not None:
            from moto.events.models import Rule

            setattr(Rule, "send_to_targets", self._original_send)  # noqa: B010
            self._original_send = None
