"""The one Logger of the package and its metrics (CloudWatch EMF through Powertools).

The Tracer lives in :mod:`agentflow.tracing` and the execution-log writer in
:mod:`agentflow.execution_log`, so that a function importing this module pays for neither the
X-Ray SDK nor boto3.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

logger = Logger(service="agentflow")
METRICS_NAMESPACE = "AgentFlow"


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
