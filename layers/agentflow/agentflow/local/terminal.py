"""What ``agentflow local`` prints while it runs: one line per HTTP request and per execution.

Like ``sam local``: the terminal shows what happened (method, path, status, milliseconds; which
execution started and how it ended), while the functions' JSON log lines go to a file.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from agentflow.observability import logger

_ENDINGS = ("completed", "failed", "cancelled", "timed_out")


class TerminalLog:
    """Writes the stack's one-line events to a stream (stdout by default), one whole line at a time."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stdout
        self._lock = threading.Lock()
        self._muted = False

    @contextmanager
    def muted(self) -> Iterator[None]:
        """Print nothing inside the block."""
        self._muted = True
        try:
            yield
        finally:
            self._muted = False

    def line(self, text: str) -> None:
        """Print ``text`` after the local time, whole even when threads print at once."""
        if self._muted:
            return
        with self._lock:
            self.stream.write(f"{time.strftime('%H:%M:%S')}  {text}\n")
            self.stream.flush()

    def request(self, method: str, path: str, status: int, milliseconds: float) -> None:
        """One answered HTTP request (the gateway's ``on_request``)."""
        self.line(f"{method:<6} {path}  {status}  {milliseconds:.0f} ms")

    def execution(self, execution_id: str, message: str) -> None:
        """One execution's start or end, from its ``workflow`` log line."""
        workflow_message = message.removeprefix("Workflow ")
        if workflow_message.startswith("'") and " started" in workflow_message:
            name, _, rest = workflow_message[1:].partition("' started ")
            self.line(f"execution {execution_id} started: workflow '{name}' {rest}")
        elif workflow_message.startswith(_ENDINGS):
            self.line(f"execution {execution_id} {workflow_message}")


class ExecutionLines(logging.Handler):
    """Hears the functions' log records and passes each execution's start and end to a terminal.

    The execution log writes "Workflow '<name>' started ..." when a run starts and "Workflow
    completed ..." (or failed, cancelled, timed_out) when it ends, with the execution id attached.
    """

    def __init__(self, terminal: TerminalLog) -> None:
        super().__init__(logging.INFO)
        self.terminal = terminal

    def emit(self, record: logging.LogRecord) -> None:
        execution_id = getattr(record, "execution_id", None)
        if getattr(record, "component", None) != "workflow" or not execution_id:
            return
        message = record.getMessage()
        if message.startswith("Workflow "):
            self.terminal.execution(str(execution_id), message)

    def attach(self) -> ExecutionLines:
        """Start hearing the functions' logger."""
        logging.getLogger(logger.name).addHandler(self)
        return self

    def detach(self) -> None:
        logging.getLogger(logger.name).removeHandler(self)
