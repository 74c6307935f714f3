"""The execution-log writer.

Execution logs go two ways: to CloudWatch through the Powertools Logger (JSON, with execution,
workflow and agent ids as correlation keys) and to the logs table for the logs route.
"""

from __future__ import annotations

import threading

from agentflow.models import LogEntry, LogLevel, utcnow
from agentflow.observability import logger
from agentflow.store.logs import LogRepository

_LOGGER_METHODS = {
    LogLevel.DEBUG: logger.debug,
    LogLevel.INFO: logger.info,
    LogLevel.WARN: logger.warning,
    LogLevel.ERROR: logger.error,
}


class ExecutionLog:
    """Collects one component's log lines of one execution and stores them on :meth:`flush`.

    Lines are stamped when written, so their order survives batching.
    """

    def __init__(
        self,
        tenant_id: str,
        execution_id: str,
        workflow_id: str,
        component: str,
        agent_id: str | None = None,
        repository: LogRepository | None = None,
    ) -> None:
        self.tenant_id = tenant_id
        self.execution_id = execution_id
        self.workflow_id = workflow_id
        self.component = component
        self.agent_id = agent_id
        self.repository = repository or LogRepository()
        self._entries: list[LogEntry] = []
        self._lock = threading.Lock()

    def write(self, level: LogLevel, message: str) -> None:
        entry = LogEntry(
            timestamp=utcnow().isoformat(timespec="microseconds").replace("+00:00", "Z"),
            level=level,
            component=self.component,
            agent_id=self.agent_id,
            message=message,
        )
        with self._lock:
            self._entries.append(entry)
        _LOGGER_METHODS[level](
            message,
            extra={
                "execution_id": self.execution_id,
                "workflow_id": self.workflow_id,
                "agent_id": self.agent_id,
                "component": self.component,
            },
        )

    def debug(self, message: str) -> None:
        self.write(LogLevel.DEBUG, message)

    def info(self, message: str) -> None:
        self.write(LogLevel.INFO, message)

    def warning(self, message: str) -> None:
        self.write(LogLevel.WARN, message)

    def error(self, message: str) -> None:
        self.write(LogLevel.ERROR, message)

    def flush(self) -> None:
        with self._lock:
            entries, self._entries = self._entries, []
        if entries:
            self.repository.append(self.tenant_id, self.execution_id, entries)
