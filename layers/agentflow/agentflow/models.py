"""Pydantic contracts: workflows, nodes, edges, executions, agent runs and log entries."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from agentflow.clock import isoformat, utcnow

__all__ = ["isoformat", "utcnow"]  # re-exported: the models' callers stamp times with them

NodeId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
# A syntactic check only (one @, a dotted domain, no spaces): the mail service is the judge of
# deliverability, and this keeps email-validator and dnspython off every Lambda's cold start.
EmailAddress = Annotated[
    str, StringConstraints(pattern=r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$", max_length=254)
]


class _Model(BaseModel):
    # Validators are built on first use, not at import: a function builds only the models it uses.
    model_config = ConfigDict(defer_build=True)


class _Strict(_Model):
    model_config = ConfigDict(extra="forbid")


class ForEach(_Strict):
    """Fan-out of one node over its input records: batches run as parallel agent invocations."""

    batch_size: int = Field(25, ge=1, le=1000, description="Records per agent invocation.")
    max_concurrency: int = Field(10, ge=1, le=1000, description="Batches running at the same time.")


class AgentNode(_Strict):
    """One node of a workflow: an agent type and its config."""

    id: NodeId
    type: str = Field(min_length=1, max_length=64)
    config: dict[str, Any] = Field(default_factory=dict)
    timeout_seconds: int | None = Field(
        None, ge=1, le=900, description="Task timeout; defaults to the stack's TASK_TIMEOUT_SECONDS."
    )
    for_each: ForEach | None = Field(
        None,
        description=(
            "Split the records of the node's input (the first list of records, as the agent reads "
            "them) into batches, each run by its own agent invocation; the output is the merged output."
        ),
    )


class Edge(_Strict):
    """``source`` must finish before ``target`` starts; ``target`` receives ``source``'s output."""

    source: NodeId
    target: NodeId


class Budget(_Strict):
    """What one run of a workflow may spend on models before a person approves more."""

    max_tokens: int | None = Field(None, ge=1)
    max_cost_usd: float | None = Field(None, gt=0)


class WorkflowDefinition(_Strict):
    """What a user registers (POST) — structure only; :mod:`agentflow.dag` checks the graph."""

    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)
    agents: list[AgentNode]
    edges: list[Edge] = Field(default_factory=list)
    ui: dict[str, Any] | None = Field(
        None,
        description="What an editor keeps with the definition (node positions); the engine ignores it.",
    )
    budget: Budget | None = None


class WorkflowUpdate(WorkflowDefinition):
    """A PUT body: a definition plus the version the caller read (optimistic locking)."""

    version: int = Field(ge=1)


class Workflow(WorkflowDefinition):
    """A stored workflow version."""

    model_config = ConfigDict(extra="forbid")

    id: str
    version: int
    created_at: str
    updated_at: str
    execution_order: list[str]


class WorkflowList(_Model):
    workflows: list[Workflow]
    next_token: str | None = None


class WorkflowVersion(_Model):
    """One stored version of a workflow, as the versions list names it."""

    version: int
    created_at: str
    name: str


class WorkflowVersionList(_Model):
    versions: list[WorkflowVersion]


class ExecutionStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"
    WAITING_APPROVAL = "waiting_approval"

    @property
    def terminal(self) -> bool:
        return self not in (
            ExecutionStatus.PENDING,
            ExecutionStatus.RUNNING,
            ExecutionStatus.WAITING_APPROVAL,
        )


class AgentRunStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    WAITING_APPROVAL = "waiting_approval"


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class Approval(_Model):
    """A decision a node waits for: an approval node's, or a budget's before a model call."""

    status: ApprovalStatus = ApprovalStatus.PENDING
    reason: Literal["approval_node", "budget"] = "approval_node"
    message: str = ""
    payload_digest: str
    requested_at: str
    expires_at: str | None = None
    decided_at: str | None = None
    decided_by: str | None = None
    comment: str | None = None
    on_timeout: Literal["reject", "approve"] = Field(default="reject", exclude=True)
    workflow_id: str | None = Field(default=None, exclude=True)


class ExecutionError(_Model):
    agent_id: str | None = None
    type: str
    message: str


class BatchCounts(_Model):
    """How the batches of a ``for_each`` node stand."""

    total: int = 0
    completed: int = 0
    failed: int = 0


class AgentRun(_Model):
    """One agent's run within an execution (``agent_executions`` in the API)."""

    agent_id: str
    agent_type: str
    status: AgentRunStatus
    started_at: str | None = None
    completed_at: str | None = None
    duration_ms: int | None = None
    tokens: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    attempts: int = 0
    output: Any = None
    error: ExecutionError | None = None
    connector_mode: Literal["live", "sandbox"] | None = None
    approval: Approval | None = None
    reused: bool = False
    batches: BatchCounts | None = None
    # What an attempt finished before it failed (e.g. emails already sent), for the retry to skip.
    progress: dict[str, Any] = Field(default_factory=dict, exclude=True)
    # While an approval is pending: the Step Functions task token to answer and what was asked about.
    task_token: str | None = Field(default=None, exclude=True)
    approval_payload: Any = Field(default=None, exclude=True)


class AgentMetrics(_Model):
    tokens: int = 0
    cost_usd: float = 0.0
    duration_ms: int | None = None


class ExecutionMetrics(_Model):
    total_tokens: int = 0
    total_cost_usd: float = 0.0
    duration_ms: int | None = None
    per_agent: dict[str, AgentMetrics] = Field(default_factory=dict)
    reused_tokens: int = 0
    reused_cost_usd: float = 0.0


class Attempt(_Model):
    """One Step Functions execution of an AgentFlow execution: the first run, then each resume."""

    number: int
    started_at: str | None = None
    completed_at: str | None = None
    status: ExecutionStatus
    rerun: list[str] = Field(default_factory=list)


class TriggerChain(_Model):
    """Where a chain of event-triggered runs began and how many triggers deep this run is."""

    root_execution_id: str
    depth: int


class Trigger(_Model):
    model_config = ConfigDict(extra="allow")

    type: Literal["api", "schedule", "webhook", "event"] = "api"
    schedule_id: str | None = None
    scheduled_time: str | None = None
    event_trigger_id: str | None = None
    event_id: str | None = None
    chain: TriggerChain | None = None


class Execution(_Model):
    """An execution as the API returns it."""

    id: str
    workflow_id: str
    workflow_version: int
    status: ExecutionStatus
    input: Any = None
    output: Any = None
    error: ExecutionError | None = None
    trigger: Trigger = Field(default_factory=Trigger)
    created_at: str
    started_at: str | None = None
    completed_at: str | None = None
    agent_executions: list[AgentRun] = Field(default_factory=list)
    metrics: ExecutionMetrics = Field(default_factory=ExecutionMetrics)
    attempts: list[Attempt] = Field(default_factory=list)
    budget: Budget | None = None


class ExecutionList(_Model):
    executions: list[Execution]
    next_token: str | None = None


class StartExecutionRequest(_Strict):
    workflow_id: str = Field(min_length=1, max_length=100)
    input: Any = None


class ResumeRequest(_Strict):
    workflow_version: int | None = Field(
        None, ge=1, description="Run the remaining nodes on this version of the workflow."
    )


class ApprovalDecision(_Strict):
    decision: Literal["approve", "reject"]
    payload_digest: str = Field(
        min_length=1, max_length=100, description="The digest of the payload you saw."
    )
    comment: str | None = Field(None, max_length=2000)
    raise_budget: Budget | None = Field(None, description="For a budget approval: the run's new budget.")


class PendingApproval(_Model):
    """An approval as the approvals list shows it, with the payload it was asked about."""

    execution_id: str
    workflow_id: str
    node_id: str
    reason: str
    message: str
    payload: Any = None
    payload_digest: str
    requested_at: str
    expires_at: str | None = None
    status: ApprovalStatus


class ApprovalList(_Model):
    approvals: list[PendingApproval]
    next_token: str | None = None


class ScheduleCreate(_Strict):
    expression: str = Field(min_length=1, max_length=256, description="cron(...), rate(...) or at(...)")
    timezone: str = Field("UTC", min_length=1, max_length=64, description="IANA timezone name")
    input: Any = None
    enabled: bool = True


class SchedulePatch(_Strict):
    expression: str | None = Field(None, min_length=1, max_length=256)
    timezone: str | None = Field(None, min_length=1, max_length=64)
    input: Any = None
    enabled: bool | None = None


class Schedule(_Model):
    id: str
    workflow_id: str
    expression: str
    timezone: str
    input: Any = None
    enabled: bool
    next_run_at: str | None
    created_at: str
    updated_at: str


class ScheduleList(_Model):
    schedules: list[Schedule]


class EventTriggerCreate(_Strict):
    event_pattern: dict[str, Any] = Field(
        description=(
            "An EventBridge event pattern over AgentFlow's events (source 'agentflow'), e.g. "
            '{"detail-type": ["AgentFlow Execution Status Change"], "detail": {"status": ["completed"]}}'
        )
    )
    enabled: bool = True


class EventTrigger(_Model):
    id: str
    workflow_id: str
    event_pattern: dict[str, Any]
    enabled: bool
    created_at: str


class EventTriggerList(_Model):
    event_triggers: list[EventTrigger]


class DocumentStatus(StrEnum):
    AWAITING_UPLOAD = "awaiting_upload"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


class Document(_Model):
    id: str
    filename: str
    content_type: str | None = None
    size_bytes: int
    workflow_id: str | None = None
    status: DocumentStatus
    error: str | None = None
    pages: int | None = None
    chunks: int | None = None
    created_at: str
    updated_at: str


class DocumentList(_Model):
    documents: list[Document]
    next_token: str | None = None


Filename = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=r"^[^/\\\x00-\x1f]+$")]


class DocumentUpload(_Strict):
    filename: Filename
    content_base64: str = Field(description="The file's bytes, base64-encoded (up to 4 MiB of content).")
    workflow_id: str | None = Field(None, max_length=100)


class UploadRequest(_Strict):
    filename: Filename
    size_bytes: int = Field(ge=1, description="The file's exact size; up to 100 MiB.")
    workflow_id: str | None = Field(None, max_length=100)


class UploadTicket(_Model):
    document_id: str
    upload_url: str
    upload_headers: dict[str, str]
    expires_at: str


class SearchRequest(_Strict):
    query: str = Field(min_length=1, max_length=2000)
    top_k: int = Field(5, ge=1, le=50)
    workflow_id: str | None = Field(None, max_length=100)


class Citation(_Model):
    """A document passage: which document, which page (from 1), what it says, how relevant (0 to 1)."""

    document_id: str
    filename: str
    page: int
    excerpt: str
    score: float


class SearchResult(Citation):
    pass


class SearchResults(_Model):
    results: list[SearchResult]


class LogLevel(StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARN = "WARN"
    ERROR = "ERROR"

    @property
    def rank(self) -> int:
        return list(LogLevel).index(self)


class LogEntry(_Model):
    timestamp: str
    level: LogLevel
    component: str
    agent_id: str | None = None
    message: str


class LogList(_Model):
    logs: list[LogEntry]


class TimelineEntry(_Model):
    agent_id: str
    agent_type: str
    status: AgentRunStatus
    started_at: str | None = None
    completed_at: str | None = None
    duration_ms: int | None = None


class Timeline(_Model):
    timeline: list[TimelineEntry]


class AgentTypeInfo(_Model):
    type: str
    name: str
    description: str
    config_schema: dict[str, Any]


class AgentTypeList(_Model):
    agent_types: list[AgentTypeInfo]


class Health(_Model):
    status: Literal["ok"] = "ok"
    version: str
