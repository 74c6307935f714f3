"""The ``agentflow`` commands that talk to the HTTP API: workflows, runs, executions, schedules, webhooks,
event triggers, agent types.

They work the same against the local stack (``agentflow local``) and a deployed stage: ``--url`` and
``--api-key``, or AGENTFLOW_URL and AGENTFLOW_API_KEY. Every command prints readable tables, or with
``--output json`` the API's JSON for scripts. Problems are one ``error: ...`` line on stderr and an exit
code (see ``EPILOG``), never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import httpx

from agentflow.client import ACTIVE, AgentFlowClient, ApiError
from agentflow.local.report import execution_report, gantt, log_line
from agentflow.workflow_diff import diff_workflows

DEFAULT_URL = "http://127.0.0.1:8000"
URL_VARIABLE = "AGENTFLOW_URL"
KEY_VARIABLE = "AGENTFLOW_API_KEY"

EXIT_OK = 0
EXIT_RUN_FAILED = 1
EXIT_REFUSED = 2
EXIT_UNREACHABLE = 3
EXIT_SERVER_ERROR = 4
EXIT_INTERRUPTED = 130

STATUSES = ("pending", "running", "waiting_approval", "completed", "failed", "cancelled", "timed_out")
APPROVAL_STATUSES = ("pending", "approved", "rejected", "expired", "cancelled")
ENDED = tuple(status for status in STATUSES if status not in ACTIVE)
# The events AgentFlow publishes when an execution ends (agentflow.services.event_triggers).
STATUS_CHANGE = "AgentFlow Execution Status Change"
LEVELS = ("DEBUG", "INFO", "WARN", "ERROR")
# Fields the API adds to a definition; a file saved from `workflows get --output json` carries them.
READ_ONLY_FIELDS = ("id", "created_at", "updated_at", "execution_order")

EPILOG = f"""\
API commands read --url (or ${URL_VARIABLE}; default {DEFAULT_URL}) and --api-key (or
${KEY_VARIABLE}; the local stack's default key is dev-local-key), and take --output json for scripts.
Exit codes: 0 success; 1 a run that ended failed, cancelled or timed out; 2 bad input or a request
the API refused (4xx); 3 the API cannot be reached; 4 the API failed (5xx); 130 interrupted."""


class CliError(Exception):
    """Input the command cannot use (a missing file, bad JSON, a bad URL): ``error: <message>``."""

    def __init__(self, message: str, exit_code: int = EXIT_REFUSED) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


Handler = Callable[[AgentFlowClient, argparse.Namespace], int]
Parsers = argparse._SubParsersAction  # the object add_subparsers returns


def open_client(url: str, api_key: str | None) -> AgentFlowClient:
    """The client every API command uses (tests replace it to inject a transport)."""
    return AgentFlowClient(url, api_key)


# Options and wiring


def add_connection_options(parser: argparse.ArgumentParser, *, suppress: bool = False) -> None:
    """``--url``, ``--api-key`` and ``--output``; ``suppress`` keeps an earlier (top-level) value."""
    default = argparse.SUPPRESS if suppress else None
    group = parser.add_argument_group("API connection")
    group.add_argument(
        "--url",
        dest="api_url",
        metavar="URL",
        default=default,
        help=f"API base URL (${URL_VARIABLE}; default {DEFAULT_URL})",
    )
    group.add_argument(
        "--api-key", dest="api_token", metavar="KEY", default=default, help=f"API key (${KEY_VARIABLE})"
    )
    group.add_argument(
        "-o",
        "--output",
        dest="output",
        choices=("table", "json"),
        default=default,
        help="table (default) or json",
    )


def _connection_parent() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    add_connection_options(parent, suppress=True)
    return parent


def _resolve_url(args: argparse.Namespace) -> str:
    raw = getattr(args, "api_url", None) or os.environ.get(URL_VARIABLE) or DEFAULT_URL
    url = raw.strip().rstrip("/")
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as error:
        raise CliError(f"invalid API URL {raw!r}: {error}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise CliError(f"the API URL must start with http:// or https://, got {raw!r}")
    # People paste the URL of the API's routes; the client adds /api/v1 itself.
    return url.removesuffix("/api/v1")


def _json_output(args: argparse.Namespace) -> bool:
    return getattr(args, "output", None) == "json"


def _api_command(handler: Handler) -> Callable[[argparse.Namespace], int]:
    """Run ``handler`` with a client, turning every expected failure into one line and an exit code."""

    def run(args: argparse.Namespace) -> int:
        url = DEFAULT_URL
        try:
            url = _resolve_url(args)
            api_key = getattr(args, "api_token", None) or os.environ.get(KEY_VARIABLE) or None
            with open_client(url, api_key) as client:
                return handler(client, args)
        except CliError as error:
            return _fail(error.message, error.exit_code)
        except ApiError as error:
            return _fail(
                _api_error_message(error), EXIT_SERVER_ERROR if error.status >= 500 else EXIT_REFUSED
            )
        except httpx.TimeoutException:
            return _fail(f"the AgentFlow API at {url} did not answer in time", EXIT_UNREACHABLE)
        except httpx.HTTPError as error:
            return _fail(f"cannot reach the AgentFlow API at {url}: {error}", EXIT_UNREACHABLE)
        except KeyboardInterrupt:
            return _fail("interrupted", EXIT_INTERRUPTED)
        except BrokenPipeError:
            # The reader (`| head`) left; stop quietly instead of failing on the final flush.
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return EXIT_OK

    return run


def _fail(message: str, exit_code: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    return exit_code


def _api_error_message(error: ApiError) -> str:
    message = error.message or f"HTTP {error.status}"
    lines = [message]
    # The message is the first problem; details list every one (the rest are worth showing).
    for detail in error.details or []:
        text = _detail(detail)
        if text and text.rstrip(".") != message.rstrip("."):
            lines.append(f"  - {text}")
    if error.status == 401:
        lines.append(
            f"  (pass --api-key or set {KEY_VARIABLE}; the local stack's default key is dev-local-key)"
        )
    elif error.status == 404 and "route" in message.lower():
        lines.append(
            "  (check --url: a deployed API's URL ends with its stage, e.g. https://…amazonaws.com/prod)"
        )
    return "\n".join(lines)


def _detail(detail: Any) -> str | None:
    if isinstance(detail, str):
        return detail
    if isinstance(detail, dict):
        # Structured details without a sentence (e.g. {"cycle": [...]}) are for programs; the message
        # already says it.
        where = detail.get("loc") or detail.get("field")
        what = detail.get("msg") or detail.get("message")
        if what:
            place = ".".join(str(part) for part in where) if isinstance(where, list) else where
            return f"{place}: {what}" if place else str(what)
    return None


# Reading input


def _read_text(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise CliError(f"cannot read {path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise CliError(f"{path} is not UTF-8 text") from None


def _read_json_object(path: str, what: str) -> dict[str, Any]:
    text = _read_text(path)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise CliError(
            f"{path} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    if not isinstance(value, dict):
        raise CliError(f"{path} must hold a JSON object ({what})")
    return value


def _json_or_text(text: str) -> Any:
    """JSON when it parses (an object, a number, a quoted string…), otherwise the text itself."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _input_value(args: argparse.Namespace) -> Any:
    if args.input_file is not None:
        text = _read_text(args.input_file)
        return _json_or_text(text.rstrip("\n"))
    if args.input is not None:
        return _json_or_text(args.input)
    return None


def _add_input_options(parser: argparse.ArgumentParser, what: str) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--input",
        help=f"{what}: JSON, or else a plain string (quote JSON-looking strings: '\"42\"')",
    )
    group.add_argument("--input-file", metavar="FILE", help=f"{what} from a file ('-': stdin), JSON or text")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def _add_paging_options(parser: argparse.ArgumentParser, items: str) -> None:
    parser.add_argument("--limit", type=_positive_int, default=50, help=f"at most this many {items} (50)")
    parser.add_argument("--all", action="store_true", help=f"every {items[:-1]}, following next_token")
    parser.add_argument("--next-token", help="continue a list where a previous one stopped")


def _paging(args: argparse.Namespace) -> dict[str, Any]:
    return {"limit": None if args.all else args.limit, "next_token": args.next_token}


# Rendering


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def _show(args: argparse.Namespace, value: Any, *lines: str) -> int:
    """``value`` as JSON with ``-o json``, else ``lines`` for people; the command succeeded."""
    if _json_output(args):
        _print_json(value)
    else:
        print("\n".join(lines))
    return EXIT_OK


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _table(headers: Sequence[str], rows: Iterable[Sequence[Any]], empty: str) -> str:
    cells = [[_cell(value) for value in row] for row in rows]
    if not cells:
        return empty
    widths = [max(len(header), *(len(row[index]) for row in cells)) for index, header in enumerate(headers)]
    return "\n".join(
        "  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip()
        for row in [list(headers), *cells]
    )


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _moment(timestamp: str | None) -> str | None:
    """A timestamp to the second, as people read it: ``2026-11-25 11:03:57``."""
    return timestamp[:19].replace("T", " ") if timestamp else None


def _duration(milliseconds: float | None) -> str:
    if milliseconds is None:
        return "-"
    if milliseconds < 1000:
        return f"{milliseconds:.0f} ms"
    seconds = milliseconds / 1000
    return f"{seconds:.1f} s" if seconds < 120 else f"{int(seconds // 60)} min {int(seconds % 60)} s"


def _elapsed_ms(started_at: str | None) -> float | None:
    if not started_at:
        return None
    started = datetime.fromisoformat(started_at.replace("Z", "+00:00"))
    return max(0.0, (datetime.now(UTC) - started).total_seconds() * 1000)


def _more(token: str | None, items: str) -> None:
    if token:
        print(f"(more {items}: --all, or --next-token {token})", file=sys.stderr)


# Workflows


def _workflows_create(client: AgentFlowClient, args: argparse.Namespace) -> int:
    workflow = client.create_workflow(_read_json_object(args.file, "a workflow definition"))
    return _show(
        args,
        workflow,
        f"Created workflow {workflow['id']} (version {workflow['version']}): {workflow['name']}",
        f"  execution order: {' → '.join(workflow.get('execution_order', []))}",
    )


def _workflows_list(client: AgentFlowClient, args: argparse.Namespace) -> int:
    workflows, token = client.workflows(**_paging(args))
    if _json_output(args):
        _print_json({"workflows": workflows, "next_token": token})
        return EXIT_OK
    rows = [
        (w["id"], _clip(w["name"], 40), w["version"], len(w["agents"]), _moment(w.get("updated_at")))
        for w in workflows
    ]
    print(_table(("ID", "NAME", "VERSION", "AGENTS", "UPDATED"), rows, "(no workflows)"))
    _more(token, "workflows")
    return EXIT_OK


def _workflows_get(client: AgentFlowClient, args: argparse.Namespace) -> int:
    workflow = client.workflow(args.workflow_id)
    if _json_output(args):
        _print_json(workflow)
        return EXIT_OK
    print(f"Workflow {workflow['id']} (version {workflow['version']}): {workflow['name']}")
    if workflow.get("description"):
        print(f"  {workflow['description']}")
    print(f"  created {_moment(workflow.get('created_at'))}, updated {_moment(workflow.get('updated_at'))}")
    print(f"  execution order: {' → '.join(workflow.get('execution_order', []))}")
    print()
    rows = [
        (agent["id"], agent["type"], _clip(json.dumps(agent.get("config") or {}), 70))
        for agent in workflow["agents"]
    ]
    print(_table(("AGENT", "TYPE", "CONFIG"), rows, "(no agents)"))
    if workflow.get("edges"):
        print()
        print("Edges")
        for edge in workflow["edges"]:
            print(f"  {edge['source']} → {edge['target']}")
    return EXIT_OK


def _workflows_update(client: AgentFlowClient, args: argparse.Namespace) -> int:
    definition = _read_json_object(args.file, "a workflow definition")
    if definition.get("id") not in (None, args.workflow_id):
        raise CliError(f"{args.file} holds workflow {definition['id']}, not {args.workflow_id}")
    for field in READ_ONLY_FIELDS:
        definition.pop(field, None)
    # A file saved from `workflows get` names the version it was read at: keep it, so that a change
    # made since then is a 409 rather than silently overwritten. Otherwise update the current version.
    version = definition.pop("version", None)
    if version is None:
        version = client.workflow(args.workflow_id)["version"]
    workflow = client.update_workflow(args.workflow_id, definition, version)
    return _show(
        args, workflow, f"Updated workflow {workflow['id']}: version {version} → {workflow['version']}"
    )


def _workflows_delete(client: AgentFlowClient, args: argparse.Namespace) -> int:
    client.delete_workflow(args.workflow_id)
    return _show(args, {"id": args.workflow_id, "deleted": True}, f"Deleted workflow {args.workflow_id}")


def _workflows_versions(client: AgentFlowClient, args: argparse.Namespace) -> int:
    versions = client.workflow_versions(args.workflow_id)
    if _json_output(args):
        _print_json({"versions": versions})
        return EXIT_OK
    rows = [(v["version"], _moment(v.get("created_at")), _clip(v["name"], 50)) for v in versions]
    print(_table(("VERSION", "SAVED", "NAME"), rows, "(no versions)"))
    return EXIT_OK


def _short(value: Any) -> str:
    return _clip(json.dumps(value, ensure_ascii=False), 60)


def _workflows_diff(client: AgentFlowClient, args: argparse.Namespace) -> int:
    diff = diff_workflows(
        client.workflow_version(args.workflow_id, args.from_version),
        client.workflow_version(args.workflow_id, args.to_version),
    )
    lines = [f"Workflow {args.workflow_id}: version {args.from_version} → {args.to_version}"]
    lines += [f"  + node {node.id} ({node.type})" for node in diff.nodes_added]
    lines += [f"  - node {node.id} ({node.type})" for node in diff.nodes_removed]
    lines += [f"  ~ node {node.id}: type {node.from_type} → {node.to_type}" for node in diff.nodes_retyped]
    for change in diff.config_changed:
        where = f"  ~ {change.id}.config.{change.field}"
        if change.change == "added":
            lines.append(f"{where} added: {_short(change.after)}")
        elif change.change == "removed":
            lines.append(f"{where} removed (was {_short(change.before)})")
        else:
            lines.append(f"{where}: {_short(change.before)} → {_short(change.after)}")
    lines += [f"  + edge {edge.source} → {edge.target}" for edge in diff.edges_added]
    lines += [f"  - edge {edge.source} → {edge.target}" for edge in diff.edges_removed]
    if diff.empty:
        lines.append("  (no changes to nodes, config or edges)")
    return _show(args, diff.model_dump(mode="json"), *lines)


# Runs


class Progress:
    """The live view of a run: one line per agent with its status and duration.

    On a terminal the lines are redrawn in place; otherwise each status change is appended once.
    """

    def __init__(self, out: TextIO, live: bool) -> None:
        self.out = out
        self.live = live
        self.drawn = 0
        self.seen: dict[str, str] = {}

    def update(self, execution: dict[str, Any]) -> None:
        if self.live:
            self._redraw(execution)
        else:
            self._append_changes(execution)

    def _lines(self, execution: dict[str, Any]) -> list[str]:
        runs = execution.get("agent_executions") or []
        id_width = max([len(run["agent_id"]) for run in runs] + [5])
        type_width = max([len(run.get("agent_type") or "") for run in runs] + [4])
        if execution["status"] in ACTIVE:
            total = _elapsed_ms(execution.get("started_at"))
        else:
            total = (execution.get("metrics") or {}).get("duration_ms")
        lines = [f"Execution {execution['id']}: {execution['status']}  {_duration(total)}{_spend(execution)}"]
        for run in runs:
            if run["status"] in ACTIVE:
                duration = _duration(_elapsed_ms(run.get("started_at"))) if run.get("started_at") else ""
            else:
                duration = _duration(run.get("duration_ms"))
            mode = run.get("connector_mode") or ""
            lines.append(
                f"  {run['agent_id']:<{id_width}}  {run.get('agent_type') or '':<{type_width}}  "
                f"{run['status']:<16} {mode:<7} {duration}{_batches(run)}".rstrip()
            )
        if execution["status"] == "waiting_approval":
            lines.append("  waiting for a decision: agentflow approvals list")
        return lines

    def _redraw(self, execution: dict[str, Any]) -> None:
        width = max(20, shutil.get_terminal_size().columns - 1)
        # Back to the first line drawn, clear to the end of the screen, draw again (clipped: a wrapped
        # line would throw the count off).
        prefix = f"\x1b[{self.drawn}F\x1b[J" if self.drawn else ""
        lines = [line[:width] for line in self._lines(execution)]
        self.out.write(prefix + "".join(f"{line}\n" for line in lines))
        self.out.flush()
        self.drawn = len(lines)

    def _append_changes(self, execution: dict[str, Any]) -> None:
        for run in execution.get("agent_executions") or []:
            status = run["status"]
            # A for_each node also reports each change in its batches.
            state = status + _batches(run)
            if self.seen.get(run["agent_id"], "pending") == state:
                continue
            self.seen[run["agent_id"]] = state
            finished = status not in ACTIVE
            suffix = f" in {_duration(run.get('duration_ms'))}" if finished and run.get("duration_ms") else ""
            print(f"  {run['agent_id']}: {status}{suffix}{_batches(run)}", file=self.out, flush=True)
        if execution["status"] not in ACTIVE:
            duration = _duration(execution.get("metrics", {}).get("duration_ms"))
            print(f"Execution {execution['id']} {execution['status']} in {duration}", file=self.out)


def _spend(execution: dict[str, Any]) -> str:
    """The run's tokens and cost, against its budget when it has one."""
    metrics = execution.get("metrics") or {}
    budget = execution.get("budget") or {}
    tokens, cost = metrics.get("total_tokens", 0), metrics.get("total_cost_usd", 0.0)
    parts = []
    if budget.get("max_tokens"):
        parts.append(f"tokens {tokens}/{budget['max_tokens']}")
    if budget.get("max_cost_usd"):
        parts.append(f"cost ${cost:.4f}/${budget['max_cost_usd']:.4f}")
    return ("  budget: " + ", ".join(parts)) if parts else ""


def _batches(run: dict[str, Any]) -> str:
    """`` 4/7 batches`` (and how many failed) for a for_each node; empty for the others."""
    batches = run.get("batches")
    if not batches:
        return ""
    failed = f", {batches['failed']} failed" if batches.get("failed") else ""
    return f"  {batches['completed']}/{batches['total']} batches{failed}"


def _follow(
    client: AgentFlowClient,
    execution: dict[str, Any],
    progress: Progress | None,
    interval: float,
    timeout: float | None,
) -> dict[str, Any]:
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        if progress is not None:
            progress.update(execution)
        if execution["status"] not in ACTIVE:
            return execution
        if deadline is not None and time.monotonic() > deadline:
            raise CliError(
                f"execution {execution['id']} is still {execution['status']} after {timeout:g} s; "
                f"see it with: agentflow executions get {execution['id']}",
                EXIT_RUN_FAILED,
            )
        time.sleep(interval)
        execution = client.execution(execution["id"])


def _run(client: AgentFlowClient, args: argparse.Namespace) -> int:
    data = _input_value(args)
    started = client.start_execution(args.workflow_id, data, args.idempotency_key)
    as_json = _json_output(args)
    progress = None
    if not as_json:
        print(f"Started execution {started['id']} of workflow {started['workflow_id']}", flush=True)
        progress = Progress(sys.stdout, live=sys.stdout.isatty())
    try:
        execution = _follow(client, started, progress, args.poll_interval, args.timeout)
    except KeyboardInterrupt:
        print(
            f"\nStopped following execution {started['id']}; it keeps running. "
            f"Cancel it with: agentflow executions stop {started['id']}",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    if as_json:
        _print_json(execution)
    else:
        timeline = client.timeline(execution["id"])
        logs = client.logs(execution["id"])
        print()
        print(execution_report(execution, timeline, logs))
    return EXIT_OK if execution["status"] == "completed" else EXIT_RUN_FAILED


# Executions


def _executions_list(client: AgentFlowClient, args: argparse.Namespace) -> int:
    executions, token = client.executions(
        **_paging(args), workflow_id=args.workflow_id, status=args.status, schedule_id=args.schedule_id
    )
    if _json_output(args):
        _print_json({"executions": executions, "next_token": token})
        return EXIT_OK
    rows = [
        (
            e["id"],
            e["workflow_id"],
            e["status"],
            (e.get("trigger") or {}).get("type"),
            _moment(e.get("started_at") or e.get("created_at")),
            _duration((e.get("metrics") or {}).get("duration_ms")),
        )
        for e in executions
    ]
    print(_table(("ID", "WORKFLOW", "STATUS", "TRIGGER", "STARTED", "DURATION"), rows, "(no executions)"))
    _more(token, "executions")
    return EXIT_OK


def _executions_get(client: AgentFlowClient, args: argparse.Namespace) -> int:
    execution = client.execution(args.execution_id)
    if _json_output(args):
        _print_json(execution)
        return EXIT_OK
    metrics = execution.get("metrics") or {}
    print(f"Execution {execution['id']}: {execution['status']}")
    print(f"  workflow: {execution['workflow_id']} (version {execution.get('workflow_version')})")
    if execution.get("trigger"):
        print(f"  trigger: {execution['trigger'].get('type')}")
    print(f"  input: {_clip(json.dumps(execution.get('input'), ensure_ascii=False), 100)}")
    print(
        f"  started {_moment(execution.get('started_at'))}, "
        f"completed {_moment(execution.get('completed_at'))}, {_duration(metrics.get('duration_ms'))}"
    )
    tokens, cost = metrics.get("total_tokens", 0), metrics.get("total_cost_usd", 0)
    print(f"  tokens {tokens}, cost ${cost:.4f}{_spend(execution)}")
    if metrics.get("reused_tokens"):
        reused_cost = metrics.get("reused_cost_usd", 0)
        print(f"  reused (not paid again): {metrics['reused_tokens']} tokens, ${reused_cost:.4f}")
    attempts = execution.get("attempts") or []
    if len(attempts) > 1:
        for attempt in attempts:
            rerun = ", ".join(attempt.get("rerun") or []) or "nothing"
            print(f"  attempt {attempt['number']}: {attempt['status']}, ran {rerun}")
    if execution.get("error"):
        error = execution["error"]
        print(f"  error: {error.get('agent_id') or 'workflow'}: {error.get('type')}: {error.get('message')}")
    print()
    rows = [
        (
            run["agent_id"],
            run.get("agent_type"),
            run["status"] + (" (reused)" if run.get("reused") else ""),
            run.get("connector_mode"),
            _duration(run.get("duration_ms")),
            run.get("tokens"),
            f"${run.get('cost_usd') or 0:.4f}",
            _clip((run.get("error") or {}).get("message") or "", 50) or None,
        )
        for run in execution.get("agent_executions") or []
    ]
    headers = ("AGENT", "TYPE", "STATUS", "MODE", "DURATION", "TOKENS", "COST", "ERROR")
    print(_table(headers, rows, "(no agents)"))
    if execution.get("output") is not None:
        print()
        print(f"Output: {_clip(json.dumps(execution['output'], ensure_ascii=False), 300)}")
        print("  (--output json shows everything)")
    return EXIT_OK


def _executions_logs(client: AgentFlowClient, args: argparse.Namespace) -> int:
    filters = {"level": args.level, "agent_id": args.agent}
    logs = client.logs(args.execution_id, **{name: value for name, value in filters.items() if value})
    return _show(
        args,
        {"logs": logs},
        "\n".join(log_line(entry, date=True) for entry in logs) if logs else "(no log lines)",
    )


def _executions_timeline(client: AgentFlowClient, args: argparse.Namespace) -> int:
    timeline = client.timeline(args.execution_id)
    return _show(args, {"timeline": timeline}, f"Timeline of {args.execution_id}", "\n".join(gantt(timeline)))


def _executions_stop(client: AgentFlowClient, args: argparse.Namespace) -> int:
    execution = client.stop_execution(args.execution_id)
    return _show(args, execution, f"Stopped execution {execution['id']}: {execution['status']}")


def _executions_resume(client: AgentFlowClient, args: argparse.Namespace) -> int:
    execution = client.resume_execution(args.execution_id, args.workflow_version)
    attempt = (execution.get("attempts") or [{}])[-1]
    rerun = ", ".join(attempt.get("rerun") or []) or "nothing"
    return _show(
        args,
        execution,
        f"Resumed execution {execution['id']} (attempt {attempt.get('number')}): {execution['status']}",
        f"  running again: {rerun}; follow it with: agentflow executions get {execution['id']}",
    )


# Approvals


def _approvals_list(client: AgentFlowClient, args: argparse.Namespace) -> int:
    approvals, token = client.approvals(status=args.status, workflow_id=args.workflow_id, **_paging(args))
    if _json_output(args):
        _print_json({"approvals": approvals, "next_token": token})
        return EXIT_OK
    rows = [
        (
            item["execution_id"],
            item["node_id"],
            item["reason"],
            item["status"],
            _moment(item.get("expires_at")),
            _clip(item.get("message") or "", 40),
        )
        for item in approvals
    ]
    print(_table(("EXECUTION", "NODE", "REASON", "STATUS", "EXPIRES", "MESSAGE"), rows, "(no approvals)"))
    for item in approvals:
        print(f"\n{item['execution_id']} / {item['node_id']} ({item['payload_digest']}):")
        print(f"  {_clip(json.dumps(item.get('payload'), ensure_ascii=False), 400)}")
    _more(token, "approvals")
    return EXIT_OK


def _pending_approval(client: AgentFlowClient, execution_id: str, node_id: str) -> dict[str, Any]:
    token: str | None = None
    while True:
        approvals, token = client.approvals(status="pending", limit=100, next_token=token)
        for item in approvals:
            if item["execution_id"] == execution_id and item["node_id"] == node_id:
                return dict(item)
        if token is None:
            raise CliError(f"no pending approval on node {node_id} of execution {execution_id}")


def _approvals_decide(decision: str) -> Handler:
    def handler(client: AgentFlowClient, args: argparse.Namespace) -> int:
        item = _pending_approval(client, args.execution_id, args.node_id)
        if not _json_output(args):
            # What is approved is what is shown: the decision carries this payload's digest.
            payload = _clip(json.dumps(item.get("payload"), ensure_ascii=False), 400)
            print(f"{item['message']}\n  payload: {payload}")
            print(f"  digest:  {item['payload_digest']}")
        budget = {
            name: value
            for name, value in (
                ("max_tokens", args.raise_max_tokens),
                ("max_cost_usd", args.raise_max_cost_usd),
            )
            if value is not None
        }
        approval = client.decide_approval(
            args.execution_id, args.node_id, decision, item["payload_digest"], args.comment, budget or None
        )
        return _show(
            args, approval, f"Approval on {args.node_id} of {args.execution_id}: {approval['status']}"
        )

    return handler


# Schedules


def _schedule_rows(schedules: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (s["id"], s["expression"], s.get("timezone"), s.get("enabled"), _moment(s.get("next_run_at")))
        for s in schedules
    ]


SCHEDULE_HEADERS = ("ID", "EXPRESSION", "TIMEZONE", "ENABLED", "NEXT RUN (UTC)")


def _schedules_create(client: AgentFlowClient, args: argparse.Namespace) -> int:
    schedule = client.create_schedule(
        args.workflow_id, args.expression, args.timezone, _input_value(args), enabled=not args.disabled
    )
    return _show(
        args,
        schedule,
        f"Created schedule {schedule['id']} for workflow {args.workflow_id}",
        _table(SCHEDULE_HEADERS, _schedule_rows([schedule]), ""),
    )


def _schedules_list(client: AgentFlowClient, args: argparse.Namespace) -> int:
    schedules = client.schedules(args.workflow_id)
    return _show(
        args, {"schedules": schedules}, _table(SCHEDULE_HEADERS, _schedule_rows(schedules), "(no schedules)")
    )


def _schedules_get(client: AgentFlowClient, args: argparse.Namespace) -> int:
    schedule = client.schedule(args.workflow_id, args.schedule_id)
    return _show(
        args,
        schedule,
        _table(SCHEDULE_HEADERS, _schedule_rows([schedule]), ""),
        f"  input: {_clip(json.dumps(schedule.get('input'), ensure_ascii=False), 100)}",
    )


def _schedules_enable(enabled: bool) -> Handler:
    def handler(client: AgentFlowClient, args: argparse.Namespace) -> int:
        schedule = client.update_schedule(args.workflow_id, args.schedule_id, enabled=enabled)
        if _json_output(args):
            _print_json(schedule)
        elif enabled:
            next_run = _moment(schedule.get("next_run_at"))
            print(f"Resumed schedule {schedule['id']}; next run at {next_run} UTC")
        else:
            print(f"Paused schedule {schedule['id']}")
        return EXIT_OK

    return handler


def _schedules_delete(client: AgentFlowClient, args: argparse.Namespace) -> int:
    client.delete_schedule(args.workflow_id, args.schedule_id)
    return _show(args, {"id": args.schedule_id, "deleted": True}, f"Deleted schedule {args.schedule_id}")


# Webhooks


def _webhooks_issue(client: AgentFlowClient, args: argparse.Namespace) -> int:
    webhook = client.issue_webhook(args.workflow_id)
    if _json_output(args):
        _print_json(webhook)
        return EXIT_OK
    print(f"Webhook of workflow {args.workflow_id}")
    print(f"  url:    {webhook['url']}")
    print(f"  secret: {webhook['secret']}")
    print("The secret is shown once: keep it now. Issuing again rotates it (the old one stops working).")
    print("Sign each POST to the URL (no API key): X-AgentFlow-Timestamp: <unix seconds> and")
    print('X-AgentFlow-Signature: sha256=<HMAC-SHA256 of "<timestamp>.<raw body>" under the secret>')
    return EXIT_OK


# Event triggers


def _event_pattern(client: AgentFlowClient, args: argparse.Namespace) -> dict[str, Any]:
    """The pattern of ``triggers create``: from --after (and --status), --pattern or --pattern-file."""
    if args.after is None:
        if args.status:
            raise CliError("--status goes with --after (in a --pattern, match detail.status instead)")
        if args.pattern_file is not None:
            return _read_json_object(args.pattern_file, "an EventBridge event pattern")
        try:
            pattern = json.loads(args.pattern)
        except json.JSONDecodeError as error:
            raise CliError(
                f"--pattern is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
            ) from None
        if not isinstance(pattern, dict):
            raise CliError("--pattern must be a JSON object (an EventBridge event pattern)")
        return pattern
    if args.after == args.workflow_id:
        raise CliError(f"--after names {args.workflow_id} itself: each run would start the next, without end")
    # A pattern naming a workflow that does not exist would never match: say so now.
    try:
        client.workflow(args.after)
    except ApiError as error:
        if error.status != 404:
            raise
        raise CliError(f"--after {args.after}: {error.message or 'workflow not found'}") from None
    statuses = list(dict.fromkeys(args.status or ["completed"]))
    return {"detail-type": [STATUS_CHANGE], "detail": {"workflow_id": [args.after], "status": statuses}}


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _pattern_summary(pattern: dict[str, Any]) -> str:
    """``after wf_1: completed`` for a status-change pattern, else the pattern's JSON (clipped).

    The API pins every pattern to AgentFlow's events and the tenant; those parts say nothing here.
    """
    shown = {key: value for key, value in pattern.items() if key != "source"}
    detail = shown.get("detail")
    if isinstance(detail, dict):
        detail = {key: value for key, value in detail.items() if key != "tenant_id"}
        shown["detail"] = detail
        if not detail:
            del shown["detail"]
    if (
        shown.get("detail-type") == [STATUS_CHANGE]
        and set(shown) <= {"detail-type", "detail"}
        and isinstance(detail, dict)
        and set(detail) <= {"workflow_id", "status"}
        and all(_strings(value) for value in detail.values())
    ):
        workflows = ", ".join(detail.get("workflow_id") or []) or "any workflow"
        statuses = "|".join(detail.get("status") or []) or "any status"
        return f"after {workflows}: {statuses}"
    return _clip(json.dumps(shown, ensure_ascii=False), 70)


def _trigger_rows(triggers: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (
            t["id"],
            t.get("enabled"),
            _pattern_summary(t.get("event_pattern") or {}),
            _moment(t.get("created_at")),
        )
        for t in triggers
    ]


TRIGGER_HEADERS = ("ID", "ENABLED", "PATTERN", "CREATED")


def _triggers_create(client: AgentFlowClient, args: argparse.Namespace) -> int:
    pattern = _event_pattern(client, args)
    trigger = client.create_event_trigger(args.workflow_id, pattern, enabled=not args.disabled)
    return _show(
        args,
        trigger,
        f"Created event trigger {trigger['id']} for workflow {args.workflow_id}",
        _table(TRIGGER_HEADERS, _trigger_rows([trigger]), ""),
    )


def _triggers_list(client: AgentFlowClient, args: argparse.Namespace) -> int:
    triggers = client.event_triggers(args.workflow_id)
    return _show(
        args,
        {"event_triggers": triggers},
        _table(TRIGGER_HEADERS, _trigger_rows(triggers), "(no event triggers)"),
    )


def _triggers_delete(client: AgentFlowClient, args: argparse.Namespace) -> int:
    client.delete_event_trigger(args.workflow_id, args.trigger_id)
    return _show(args, {"id": args.trigger_id, "deleted": True}, f"Deleted event trigger {args.trigger_id}")


# Documents

DOCUMENT_HEADERS = ("ID", "FILENAME", "STATUS", "PAGES", "CHUNKS", "WORKFLOW", "CREATED")


def _document_rows(documents: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (
            d["id"],
            _clip(d["filename"], 36),
            d["status"],
            d.get("pages"),
            d.get("chunks"),
            d.get("workflow_id"),
            _moment(d.get("created_at")),
        )
        for d in documents
    ]


def _documents_upload(client: AgentFlowClient, args: argparse.Namespace) -> int:
    documents = []
    for path in args.files:
        try:
            data = Path(path).read_bytes()
        except OSError as error:
            raise CliError(f"cannot read {path}: {error.strerror}") from None
        document = client.upload_document(Path(path).name, data, args.workflow_id)
        if args.wait:
            document = client.wait_for_document(document["id"], timeout=args.timeout)
        documents.append(document)
    if _json_output(args):
        _print_json({"documents": documents})
        return EXIT_OK
    print(_table(DOCUMENT_HEADERS, _document_rows(documents), "(nothing uploaded)"))
    for document in documents:
        if document.get("error"):
            print(f"{document['filename']}: {document['error']}")
    return EXIT_OK if all(d["status"] != "failed" for d in documents) else EXIT_RUN_FAILED


def _documents_list(client: AgentFlowClient, args: argparse.Namespace) -> int:
    documents, token = client.documents(workflow_id=args.workflow_id, **_paging(args))
    if _json_output(args):
        _print_json({"documents": documents, "next_token": token})
        return EXIT_OK
    print(_table(DOCUMENT_HEADERS, _document_rows(documents), "(no documents)"))
    _more(token, "documents")
    return EXIT_OK


def _documents_get(client: AgentFlowClient, args: argparse.Namespace) -> int:
    document = client.document(args.document_id)
    if _json_output(args):
        _print_json(document)
        return EXIT_OK
    print(_table(DOCUMENT_HEADERS, _document_rows([document]), ""))
    if document.get("error"):
        print(f"  failed: {document['error']}")
    return EXIT_OK


def _documents_search(client: AgentFlowClient, args: argparse.Namespace) -> int:
    results = client.search_documents(args.query, top_k=args.top_k, workflow_id=args.workflow_id)
    if _json_output(args):
        _print_json({"results": results})
        return EXIT_OK
    if not results:
        print("(no matching passages)")
    for number, result in enumerate(results, 1):
        print(f"[{number}] {result['filename']}, page {result['page']}  score {result['score']:.2f}")
        print(f"    {_clip(' '.join(result['excerpt'].split()), 300)}")
    return EXIT_OK


def _documents_delete(client: AgentFlowClient, args: argparse.Namespace) -> int:
    client.delete_document(args.document_id)
    return _show(
        args, {"id": args.document_id, "deleted": True}, f"Deleted document {args.document_id} and its chunks"
    )


# Agent types


def _agent_types(client: AgentFlowClient, args: argparse.Namespace) -> int:
    agent_types = client.agent_types()
    if args.type is not None:
        return _agent_type(agent_types, args)
    if _json_output(args):
        _print_json({"agent_types": agent_types})
    else:
        rows = [(t["type"], t["name"], _clip(t.get("description") or "", 80)) for t in agent_types]
        print(_table(("TYPE", "NAME", "DESCRIPTION"), rows, "(no agent types)"))
    return EXIT_OK


def _agent_type(agent_types: list[dict[str, Any]], args: argparse.Namespace) -> int:
    chosen = next((t for t in agent_types if t["type"] == args.type), None)
    if chosen is None:
        known = ", ".join(t["type"] for t in agent_types)
        raise CliError(f"unknown agent type {args.type!r}; known types: {known}")
    if _json_output(args):
        _print_json(chosen)
        return EXIT_OK
    print(f"{chosen['type']}: {chosen['name']}")
    print(f"  {chosen.get('description') or ''}")
    schema = chosen.get("config_schema") or {}
    required = set(schema.get("required") or [])
    rows = [
        (
            name + (" *" if name in required else ""),
            _schema_type(spec),
            json.dumps(spec["default"]) if "default" in spec else None,
            _clip(spec.get("description") or "", 70),
        )
        for name, spec in (schema.get("properties") or {}).items()
    ]
    print()
    print(_table(("CONFIG FIELD", "TYPE", "DEFAULT", "DESCRIPTION"), rows, "(no config fields)"))
    return EXIT_OK


def _schema_type(spec: dict[str, Any]) -> str:
    if "enum" in spec:
        return " | ".join(json.dumps(value) for value in spec["enum"])
    if "type" in spec:
        return str(spec["type"])
    choices = spec.get("anyOf") or spec.get("oneOf") or []
    return " | ".join(_schema_type(choice) for choice in choices) or "any"


# The parser


def register(commands: Parsers) -> None:
    """Add the API commands to the ``agentflow`` parser's subcommands."""
    parent = _connection_parent()

    def command(group: Parsers, name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = group.add_parser(
            name, help=help_text, description=help_text, parents=[parent]
        )
        parser.set_defaults(run=_api_command(handler))
        return parser

    workflows = commands.add_parser("workflows", help="create, list, read, update and delete workflows")
    workflow_commands = workflows.add_subparsers(dest="workflows_command", required=True, metavar="COMMAND")
    create = command(workflow_commands, "create", _workflows_create, "register a workflow from a JSON file")
    create.add_argument("-f", "--file", required=True, help="the workflow definition (JSON; '-': stdin)")
    listing = command(workflow_commands, "list", _workflows_list, "list workflows")
    _add_paging_options(listing, "workflows")
    get = command(workflow_commands, "get", _workflows_get, "show a workflow")
    get.add_argument("workflow_id", metavar="WORKFLOW_ID")
    update = command(
        workflow_commands, "update", _workflows_update, "replace a workflow's definition (its next version)"
    )
    update.add_argument("workflow_id", metavar="WORKFLOW_ID")
    update.add_argument(
        "-f",
        "--file",
        required=True,
        help="the new definition (JSON; '-': stdin); a 'version' in it must still be the current one",
    )
    delete = command(workflow_commands, "delete", _workflows_delete, "delete a workflow")
    delete.add_argument("workflow_id", metavar="WORKFLOW_ID")
    versions = command(workflow_commands, "versions", _workflows_versions, "list a workflow's versions")
    versions.add_argument("workflow_id", metavar="WORKFLOW_ID")
    diff = command(
        workflow_commands,
        "diff",
        _workflows_diff,
        "what changed between two versions: nodes, config fields, edges",
    )
    diff.add_argument("workflow_id", metavar="WORKFLOW_ID")
    diff.add_argument("from_version", metavar="V1", type=_positive_int)
    diff.add_argument("to_version", metavar="V2", type=_positive_int)

    run = command(commands, "run", _run, "start a workflow and follow the execution until it ends")
    run.add_argument("workflow_id", metavar="WORKFLOW_ID")
    _add_input_options(run, "the execution input")
    run.add_argument("--idempotency-key", help="the same key starts nothing new on a retry")
    run.add_argument("--timeout", type=_positive_float, help="stop following after this many seconds")
    run.add_argument("--poll-interval", type=_positive_float, default=0.5, help="seconds between polls (0.5)")

    executions = commands.add_parser("executions", help="list, inspect and stop executions")
    execution_commands = executions.add_subparsers(
        dest="executions_command", required=True, metavar="COMMAND"
    )
    listing = command(execution_commands, "list", _executions_list, "list executions, newest first")
    listing.add_argument("--workflow-id")
    listing.add_argument("--status", choices=STATUSES)
    listing.add_argument("--schedule-id")
    _add_paging_options(listing, "executions")
    execution_handlers: tuple[tuple[str, Handler, str], ...] = (
        ("get", _executions_get, "show an execution: status, agents, metrics"),
        ("timeline", _executions_timeline, "an execution's agents on a time axis (text Gantt chart)"),
        ("stop", _executions_stop, "cancel a running execution"),
    )
    for name, handler, help_text in execution_handlers:
        command(execution_commands, name, handler, help_text).add_argument(
            "execution_id", metavar="EXECUTION_ID"
        )
    resume = command(
        execution_commands,
        "resume",
        _executions_resume,
        "run a failed, timed-out or cancelled execution again; completed agents are reused",
    )
    resume.add_argument("execution_id", metavar="EXECUTION_ID")
    resume.add_argument(
        "--workflow-version", type=_positive_int, help="run the rest on this (compatible) version"
    )

    approvals = commands.add_parser("approvals", help="list, approve and reject what runs wait for")
    approval_commands = approvals.add_subparsers(dest="approvals_command", required=True, metavar="COMMAND")
    listing = command(
        approval_commands, "list", _approvals_list, "approvals oldest first, with their payload"
    )
    listing.add_argument("--status", choices=APPROVAL_STATUSES, default="pending")
    listing.add_argument("--workflow-id")
    _add_paging_options(listing, "approvals")
    for decision, verb in (("approve", "approve"), ("reject", "reject")):
        decide = command(
            approval_commands,
            verb,
            _approvals_decide(decision),
            f"{verb} a pending approval (shows its payload and sends that payload's digest)",
        )
        decide.add_argument("execution_id", metavar="EXECUTION_ID")
        decide.add_argument("node_id", metavar="NODE_ID")
        decide.add_argument("--comment")
        decide.add_argument(
            "--raise-max-tokens", type=_positive_int, help="budget approvals: the new max_tokens"
        )
        decide.add_argument(
            "--raise-max-cost-usd", type=_positive_float, help="budget approvals: the new max_cost_usd"
        )

    logs = command(execution_commands, "logs", _executions_logs, "an execution's log lines")
    logs.add_argument("execution_id", metavar="EXECUTION_ID")
    logs.add_argument("--level", type=str.upper, choices=LEVELS, help="this level and above")
    logs.add_argument("--agent", metavar="AGENT_ID", help="only this agent's lines")

    schedules = commands.add_parser("schedules", help="run a workflow on a schedule")
    schedule_commands = schedules.add_subparsers(dest="schedules_command", required=True, metavar="COMMAND")
    create = command(schedule_commands, "create", _schedules_create, "schedule a workflow")
    create.add_argument("workflow_id", metavar="WORKFLOW_ID")
    create.add_argument(
        "--expression",
        required=True,
        help="an EventBridge Scheduler expression: 'rate(1 hour)', 'cron(0 9 ? * MON-FRI *)', "
        "'at(2030-01-01T09:00:00)'",
    )
    create.add_argument("--timezone", default="UTC", help="IANA time zone of the expression (UTC)")
    _add_input_options(create, "the input of every run")
    create.add_argument("--disabled", action="store_true", help="create it paused")
    command(schedule_commands, "list", _schedules_list, "a workflow's schedules").add_argument(
        "workflow_id", metavar="WORKFLOW_ID"
    )
    schedule_handlers: tuple[tuple[str, Handler, str], ...] = (
        ("get", _schedules_get, "show a schedule"),
        ("pause", _schedules_enable(False), "disable a schedule"),
        ("resume", _schedules_enable(True), "enable a schedule again"),
        ("delete", _schedules_delete, "delete a schedule"),
    )
    for name, handler, help_text in schedule_handlers:
        parser = command(schedule_commands, name, handler, help_text)
        parser.add_argument("workflow_id", metavar="WORKFLOW_ID")
        parser.add_argument("schedule_id", metavar="SCHEDULE_ID")

    webhooks = commands.add_parser("webhooks", help="start a workflow from signed HTTP calls")
    webhook_commands = webhooks.add_subparsers(dest="webhooks_command", required=True, metavar="COMMAND")
    command(
        webhook_commands,
        "issue",
        _webhooks_issue,
        "issue a workflow's webhook: its trigger URL and signing secret (shown once); "
        "issuing again rotates the secret, and the old one stops working at once",
    ).add_argument("workflow_id", metavar="WORKFLOW_ID")

    triggers = commands.add_parser("triggers", help="start a workflow when AgentFlow events happen")
    trigger_commands = triggers.add_subparsers(dest="triggers_command", required=True, metavar="COMMAND")
    create = command(
        trigger_commands,
        "create",
        _triggers_create,
        "start a workflow on matching AgentFlow events, e.g. when another workflow ends",
    )
    create.add_argument("workflow_id", metavar="WORKFLOW_ID", help="the workflow to start")
    pattern = create.add_mutually_exclusive_group(required=True)
    pattern.add_argument(
        "--after",
        metavar="WORKFLOW_ID",
        help="start it when an execution of this workflow ends (as --status says)",
    )
    pattern.add_argument(
        "--pattern",
        metavar="JSON",
        help="an EventBridge event pattern over AgentFlow's events, e.g. "
        f'\'{{"detail-type": ["{STATUS_CHANGE}"], "detail": {{"status": ["failed"]}}}}\'',
    )
    pattern.add_argument("--pattern-file", metavar="FILE", help="the event pattern from a file ('-': stdin)")
    create.add_argument(
        "--status",
        action="append",
        choices=ENDED,
        help="with --after: the ending that starts it (completed); repeat for several",
    )
    create.add_argument("--disabled", action="store_true", help="create it disabled")
    command(trigger_commands, "list", _triggers_list, "a workflow's event triggers").add_argument(
        "workflow_id", metavar="WORKFLOW_ID"
    )
    delete = command(trigger_commands, "delete", _triggers_delete, "delete an event trigger")
    delete.add_argument("workflow_id", metavar="WORKFLOW_ID")
    delete.add_argument("trigger_id", metavar="TRIGGER_ID")

    documents = commands.add_parser("documents", help="upload, search and delete documents agents cite")
    document_commands = documents.add_subparsers(dest="documents_command", required=True, metavar="COMMAND")
    upload = command(
        document_commands,
        "upload",
        _documents_upload,
        "upload PDF, DOCX, TXT or Markdown files (up to 100 MiB)",
    )
    upload.add_argument("files", nargs="+", metavar="FILE")
    upload.add_argument("--workflow-id", help="scope the documents to this workflow")
    upload.add_argument("--wait", action="store_true", help="wait until each is ready or failed")
    upload.add_argument("--timeout", type=_positive_float, default=300.0, help="with --wait: seconds (300)")
    listing = command(document_commands, "list", _documents_list, "list documents, newest first")
    listing.add_argument("--workflow-id")
    _add_paging_options(listing, "documents")
    command(document_commands, "get", _documents_get, "show a document's status").add_argument(
        "document_id", metavar="DOCUMENT_ID"
    )
    search = command(document_commands, "search", _documents_search, "the passages closest to a question")
    search.add_argument("query", metavar="QUERY")
    search.add_argument("--top-k", type=_positive_int, default=5, help="how many passages (5; at most 50)")
    search.add_argument("--workflow-id", help="only this workflow's documents")
    command(document_commands, "delete", _documents_delete, "delete a document and its chunks").add_argument(
        "document_id", metavar="DOCUMENT_ID"
    )

    agent_types = command(commands, "agent-types", _agent_types, "the agent types and their config fields")
    agent_types.add_argument("type", nargs="?", metavar="TYPE", help="show one type's config fields")
