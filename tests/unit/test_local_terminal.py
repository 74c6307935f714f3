"""What `agentflow local` prints: one line per request, one per execution start and end."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from agentflow.execution_log import ExecutionLog
from agentflow.local.terminal import ExecutionLines, TerminalLog
from agentflow.observability import logger


@pytest.fixture
def printed() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    lines = ExecutionLines(TerminalLog(stream)).attach()
    yield stream
    lines.detach()


def lines_of(stream: io.StringIO) -> list[str]:
    # Each line starts with the local time (HH:MM:SS) and two spaces.
    return [line[10:] for line in stream.getvalue().splitlines()]


def test_a_request_is_one_line_with_method_path_status_and_milliseconds() -> None:
    stream = io.StringIO()
    TerminalLog(stream).request("POST", "/api/v1/executions/", 202, 41.6)
    assert lines_of(stream) == ["POST   /api/v1/executions/  202  42 ms"]


def test_an_execution_prints_its_start_and_its_end(printed: io.StringIO) -> None:
    # Given the execution log lines a run writes when it starts and ends
    log = ExecutionLog("tenant-a", "exec_1", "wf_1", component="workflow")
    log.info("Workflow 'Sales Outreach' started (version 2, trigger api)")
    log.info("Execution order determined: a → b")
    ExecutionLog("tenant-a", "exec_1", "wf_1", component="workflow", agent_id="a").info("Agent started")
    log.info("Workflow completed in 812 ms: 2 agents, 30 tokens, $0.0010")
    # Then the terminal shows exactly the start and the end, with the execution id
    assert lines_of(printed) == [
        "execution exec_1 started: workflow 'Sales Outreach' (version 2, trigger api)",
        "execution exec_1 completed in 812 ms: 2 agents, 30 tokens, $0.0010",
    ]


def test_a_failed_execution_prints_why(printed: io.StringIO) -> None:
    ExecutionLog("t", "exec_2", "wf_1", component="workflow").error("Workflow failed: Agent 'b' timed out")
    assert lines_of(printed) == ["execution exec_2 failed: Agent 'b' timed out"]


def test_other_log_lines_stay_in_the_function_log(printed: io.StringIO) -> None:
    logger.info("Result already stored; not running again", extra={"node_id": "a"})
    logger.info("Workflow noise without an execution")
    assert printed.getvalue() == ""


def test_muted_prints_nothing() -> None:
    stream = io.StringIO()
    terminal = TerminalLog(stream)
    with terminal.muted():
        terminal.request("GET", "/api/v1/documents/doc_1", 200, 3.0)
    assert stream.getvalue() == ""
