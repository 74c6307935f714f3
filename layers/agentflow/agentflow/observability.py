"""The one Logger, Tracer and Metrics of the package, and the execution-log writer.

Execution logs go two ways: to CloudWatch through the Powertools Logger (JSON, with execution,
workflow and agent ids as correlation keys) and to the logs table for the logs route.
"""

from __future__ import annotations

import threading

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from agentflow.models import LogEntry, LogLevel, utcnow
from agentflow.store.logs import LogRepository

logger = Logger(service="agentflow")
tracer = Tracer(service="agentflow")
METRICS_NAMESPACE = "AgentFlow"

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


def _metrics(**dimensions: str) -> EphemeralMetrics:
    # Ephemeral: no state shared between invocations (or between agents sharing a process locally).
    recorder = EphemeralMetrics(namespace=METRICS_NAMESPACE, service="agentflow")
    for name, value in dimensions.items():
        recorder.add_dimension(name=name, value=value)
    return recorder


def emit_agent_metrics(agent_type: str, duration_ms: int, tokens: int, cost_usd: float) -> None:
    """Agent latency, tokens and cost as CloudWatch EMF metrics, by agent type."""
    recorder = _metrics(agent_type=agent_type)
    recorder.add_metric(name="AgentLatency", unit=MetricUnit.Milliseconds, value=duration_ms)
    recorder.add_metric(name="AgentTokens", unit=MetricUnit.Count, value=tokens)
    recorder.add_metric(name="AgentCostUSD", unit=MetricUnit.NoUnit, value=cost_usd)
    recorder.flush_metrics()


def emit_execution_metric(status: str, duration_ms: int | None, tokens: int, cost_usd: float) -> None:
    """One execution ended: counted by status, with its duration, tokens and cost."""
    recorder = _metrics(status=status)
    recorder.add_metric(name="Executions", unit=MetricUnit.Count, value=1)
    if duration_ms is not None:
        recorder.add_metric(name="ExecutionDuration", unit=MetricUnit.Milliseconds, value=duration_ms)
    recorder.add_metric(name="ExecutionTokens", unit=MetricUnit.Count, value=tokens)
    recorder.add_metric(name="ExecutionCostUSD", unit=MetricUnit.NoUnit, value=cost_usd)
    recorder.flush_metrics()
