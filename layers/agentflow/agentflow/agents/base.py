"""The agent base class and what an agent run is given."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, Protocol, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agentflow.agents.config_rules import check_mode_requirements, state_mode_requirements

if TYPE_CHECKING:
    from agentflow.connectors.factory import ConnectorFactory
    from agentflow.models import SearchResult
    from agentflow.settings import Settings

# (query, top_k, workflow_id or None) → the tenant's best-matching document passages.
DocumentSearch = Callable[[str, int, "str | None"], "list[SearchResult]"]


class AgentConfig(BaseModel):
    """Base of every agent's config model: unknown fields are errors, so typos surface at registration.

    ``required_in_mode`` / ``one_of_in_mode`` name the fields a mode needs (all / at least one);
    they are checked here and stated in the JSON Schema (see ``agentflow.agents.config_rules``).
    """

    model_config = ConfigDict(extra="forbid", json_schema_extra=state_mode_requirements)
    required_in_mode: ClassVar[dict[str, tuple[str, ...]]] = {}
    one_of_in_mode: ClassVar[dict[str, tuple[str, ...]]] = {}

    connector_mode: Literal["sandbox", "live"] | None = Field(
        None,
        description=(
            "Overrides the stack's CONNECTOR_MODE for this agent: 'live' calls the vendor with "
            "credentials_secret, 'sandbox' uses the bundled data."
        ),
    )

    @model_validator(mode="after")
    def _mode_requirements(self) -> Self:
        check_mode_requirements(self)
        return self


class Usage(BaseModel):
    """Model usage of one agent run. Agents that call no model report zeros."""

    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def add(self, input_tokens: int, output_tokens: int, cost_usd: float) -> None:
        self.input_tokens += input_tokens
        self.output_tokens += output_tokens
        self.cost_usd += cost_usd


class AgentLog(Protocol):
    """The execution log an agent writes to (stored for the logs route and sent to CloudWatch)."""

    def debug(self, message: str) -> None: ...
    def info(self, message: str) -> None: ...
    def warning(self, message: str) -> None: ...
    def error(self, message: str) -> None: ...


@dataclass
class AgentContext:
    """Everything one agent run may use besides its config and input."""

    tenant_id: str
    execution_id: str
    workflow_id: str
    node_id: str
    settings: Settings
    log: AgentLog
    connectors: ConnectorFactory
    usage: Usage = field(default_factory=Usage)
    # Progress a failed earlier attempt saved; save_progress() records this attempt's.
    progress: dict[str, Any] = field(default_factory=dict)
    progress_saver: Callable[[dict[str, Any]], None] | None = field(default=None, repr=False)
    # 1 on the node's first run; more on Step Functions retries and resumes of the execution.
    attempt: int = 1
    document_search: DocumentSearch | None = field(default=None, repr=False)
    # Called with a call's worst-case token count before each model call; raises BudgetPauseError.
    budget_guard: Callable[[int, Usage], None] | None = field(default=None, repr=False)
    # Called at each record boundary; raises ExecutionStoppedError once the execution was stopped.
    stop_check: Callable[[], None] | None = field(default=None, repr=False)
    _provider: Any = field(default=None, repr=False)

    def search_documents(
        self, query: str, top_k: int = 3, workflow_id: str | None = None
    ) -> list[SearchResult]:
        """The tenant's document passages closest to ``query``, best first (see agentflow.rag)."""
        if self.document_search is None:
            from agentflow.errors import AgentError

            raise AgentError("Document retrieval is not available to this agent run.")
        return self.document_search(query, top_k, workflow_id)

    def save_progress(self) -> None:
        """Store ``progress`` now, so a retry after a later failure does not repeat finished work."""
        if self.progress_saver is not None:
            self.progress_saver(self.progress)

    def recorded(self, kind: str) -> dict[str, Any]:
        """What earlier attempts of this run did, by item key (``progress[kind]``)."""
        return self.progress.setdefault(kind, {})

    def record(self, kind: str, key: str, value: Any) -> None:
        """Note one finished external write (a sent email, a posted message) and store it now.

        This is also where a stopped execution's agent stops: after the write it just recorded.
        """
        self.recorded(kind)[key] = value
        self.save_progress()
        if self.stop_check is not None:
            self.stop_check()

    @property
    def retried(self) -> bool:
        """Whether an earlier attempt ran: a vendor write it sent may have happened, its answer lost."""
        return self.attempt > 1

    def write_key(self, record: str) -> str:
        """The idempotency key of this node's write for ``record`` (see connectors.base.write_key)."""
        from agentflow.connectors.base import write_key

        return write_key(self.tenant_id, self.execution_id, self.node_id, record)

    def generate(self, *, system: str | None, prompt: str, max_tokens: int | None = None) -> str:
        """Ask the stack's model (LLM_PROVIDER, LLM_MODEL_ID); its tokens and cost go to this run's usage."""
        # Imported on first use: most agents call no model and need not load the provider.
        from agentflow.llm import generate, provider_for

        if self._provider is None:
            self._provider = provider_for(self.settings)
        if self.budget_guard is not None:
            # Worst case of this call: the prompt (about four characters a token) and a full answer.
            prompt_tokens = (len(prompt) + len(system or "")) // 4 + 1
            self.budget_guard(prompt_tokens + (max_tokens or self.settings.llm_max_tokens), self.usage)
        return generate(
            self._provider,
            self.usage,
            system=system,
            prompt=prompt,
            max_tokens=max_tokens,
            settings=self.settings,
        )


ConfigT = TypeVar("ConfigT", bound=AgentConfig)


class Agent(ABC, Generic[ConfigT]):
    """An agent type. Subclasses set the class attributes and implement :meth:`run`.

    ``run`` receives the node's validated config and its input: the execution input for a root
    node, the parent's output for a node with one parent, or ``{parent_id: output}`` for several.
    It returns a JSON-serialisable model; raise :class:`~agentflow.errors.TransientAgentError` for
    failures worth retrying and :class:`~agentflow.errors.AgentError` for the rest.
    """

    agent_type: ClassVar[str]
    name: ClassVar[str]
    description: ClassVar[str]
    config_model: ClassVar[type[AgentConfig]]

    @abstractmethod
    def run(self, config: ConfigT, data: Any, ctx: AgentContext) -> BaseModel: ...

    @classmethod
    def per_record_keys(cls, config: Any) -> tuple[str, ...] | None:
        """The upstream keys of the records this agent acts on one by one with ``config``, preferred first.

        ``None`` when it does not act per upstream record (a search, a summary): such a node cannot
        fan out (``for_each``), since each batch would repeat the whole work.
        """
        return None
