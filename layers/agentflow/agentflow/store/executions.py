"""Executions and their idempotency keys.

Keys: ``tenant_id`` (partition), ``sk`` = the execution id (``exec_`` + a time-ordered id, so a Query
in reverse is newest first) or ``IDEMPOTENCY#<key>``. GSI ``by_workflow``: ``workflow_key`` =
``<tenant>#<workflow id>`` and ``sk``, for a workflow's executions newest first. Sparse GSI
``pending_starts``: ``pending`` (one constant partition) and ``pending_since``, present only while an
execution is ``pending``, so the periodic repair finds stranded starts of every tenant without a scan.
"""

from __future__ import annotations

import builtins
import hashlib
import json
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, Field

from agentflow.errors import ConflictError, NotFoundError
from agentflow.models import Attempt, Budget, ExecutionError, ExecutionMetrics, ExecutionStatus, Trigger
from agentflow.store.dynamo import TableRepository, decode_token, encode_token, from_item, to_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

_TERMINAL = [status.value for status in ExecutionStatus if status.terminal]
IDEMPOTENCY_TTL_SECONDS = 24 * 3600
PENDING_PARTITION = "pending"
_JSON_FIELDS = ("trigger", "error", "metrics", "attempts", "budget")


class ExecutionRecord(BaseModel):
    """The stored execution; the API's Execution adds agent runs and the sink output to it."""

    tenant_id: str
    id: str
    workflow_id: str
    workflow_version: int
    status: ExecutionStatus = ExecutionStatus.PENDING
    input_inline: str | None = None
    input_ref: str | None = None
    trigger: Trigger = Field(default_factory=Trigger)
    workflow_name: str = ""
    # [node id, agent type] in execution order, and the sink node ids whose output is the result.
    plan: list[tuple[str, str]] = Field(default_factory=list)
    sinks: list[str] = Field(default_factory=list)
    created_at: str
    started_at: str | None = None
    completed_at: str | None = None
    state_machine_arn: str | None = None
    execution_arn: str | None = None
    error: ExecutionError | None = None
    metrics: ExecutionMetrics | None = None
    # One entry per Step Functions execution of this AgentFlow execution (the first, then resumes).
    attempts: list[Attempt] = Field(default_factory=list)
    # The run's budget: the workflow's, raised by budget approvals.
    budget: Budget | None = None
    # When a starter last claimed the pending→running transition (the creator claims it at once).
    start_claimed_at: str | None = None


def _json(value: Any) -> str | None:
    if value is None or value == []:
        return None
    if isinstance(value, list):
        return json.dumps([item.model_dump(mode="json") for item in value])
    return str(value.model_dump_json())


def _to_values(record: ExecutionRecord) -> dict[str, Any]:
    values = record.model_dump(mode="json", exclude=set(_JSON_FIELDS))
    values["sk"] = values.pop("id")
    values["workflow_key"] = f"{record.tenant_id}#{record.workflow_id}"
    for name in _JSON_FIELDS:
        values[name] = _json(getattr(record, name))
    # A top-level attribute, so a schedule's executions can be filtered in the Query.
    values["schedule_id"] = getattr(record.trigger, "schedule_id", None)
    if record.status is ExecutionStatus.PENDING:
        values["pending"], values["pending_since"] = PENDING_PARTITION, record.created_at
    return values


def _record(item: dict[str, Any]) -> ExecutionRecord:
    values = from_item(item)
    values["id"] = values.pop("sk")
    for name in ("workflow_key", "schedule_id", "pending", "pending_since"):
        values.pop(name, None)
    for name in _JSON_FIELDS:
        if values.get(name):
            values[name] = json.loads(values[name])
    return ExecutionRecord.model_validate(values)


def request_fingerprint(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


class ExecutionRepository(TableRepository):
    table_setting = "executions_table"

    def _key(self, tenant_id: str, execution_id: str) -> dict[str, Any]:
        return to_item({"tenant_id": tenant_id, "sk": execution_id})

    def create(
        self, record: ExecutionRecord, idempotency_key: str | None, fingerprint: str, now_epoch: int
    ) -> ExecutionRecord:
        """Store a new execution; with an idempotency key already used, return that key's execution.

        The same key with a different request body is a conflict.
        """
        puts: list[TransactWriteItemTypeDef] = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": to_item(_to_values(record)),
                    "ConditionExpression": "attribute_not_exists(sk)",
                }
            }
        ]
        if idempotency_key:
            marker = {
                "tenant_id": record.tenant_id,
                "sk": f"IDEMPOTENCY#{idempotency_key}",
                "execution_id": record.id,
                "fingerprint": fingerprint,
                "expires_at": now_epoch + IDEMPOTENCY_TTL_SECONDS,
            }
            puts.append(
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": to_item(marker),
                        "ConditionExpression": "attribute_not_exists(sk)",
                    }
                }
            )
        try:
            self.db.transact_write_items(TransactItems=puts)
        except self.db.exceptions.TransactionCanceledException:
            if not idempotency_key:
                raise
            return self._replay(record.tenant_id, idempotency_key, fingerprint)
        return record

    def _replay(self, tenant_id: str, idempotency_key: str, fingerprint: str) -> ExecutionRecord:
        item = self.db.get_item(
            TableName=self.table,
            Key=self._key(tenant_id, f"IDEMPOTENCY#{idempotency_key}"),
            ConsistentRead=True,
        )["Item"]
        marker = from_item(item)
        if marker["fingerprint"] != fingerprint:
            raise ConflictError(
                f"Idempotency-Key '{idempotency_key}' was already used with a different request body."
            )
        return self.get(tenant_id, marker["execution_id"])

    def get(self, tenant_id: str, execution_id: str) -> ExecutionRecord:
        if not execution_id.startswith("exec_"):
            raise NotFoundError(f"Execution '{execution_id}' was not found.")
        item = self.db.get_item(
            TableName=self.table, Key=self._key(tenant_id, execution_id), ConsistentRead=True
        ).get("Item")
        if item is None:
            raise NotFoundError(f"Execution '{execution_id}' was not found.")
        return _record(item)

    def status(self, tenant_id: str, execution_id: str) -> tuple[ExecutionStatus, str | None]:
        """The execution's status and current attempt's ARN: one consistent read of two attributes."""
        item = self.db.get_item(
            TableName=self.table,
            Key=self._key(tenant_id, execution_id),
            ConsistentRead=True,
            ProjectionExpression="#status, execution_arn",
            ExpressionAttributeNames={"#status": "status"},
        ).get("Item")
        if item is None:
            raise NotFoundError(f"Execution '{execution_id}' was not found.")
        values = from_item(item)
        return ExecutionStatus(values["status"]), values.get("execution_arn")

    def list(
        self,
        tenant_id: str,
        *,
        workflow_id: str | None,
        status: ExecutionStatus | None,
        limit: int,
        next_token: str | None,
        schedule_id: str | None = None,
    ) -> tuple[list[ExecutionRecord], str | None]:
        """Newest first. A status filter may return short pages; follow next_token."""
        kwargs: dict[str, Any] = {"TableName": self.table, "ScanIndexForward": False, "Limit": limit}
        if workflow_id:
            partition = ("workflow_key", f"{tenant_id}#{workflow_id}")
            kwargs |= {
                "IndexName": "by_workflow",
                "KeyConditionExpression": "workflow_key = :p",
                "ExpressionAttributeValues": {":p": {"S": partition[1]}},
            }
        else:
            partition = ("tenant_id", tenant_id)
            kwargs |= {
                "KeyConditionExpression": "tenant_id = :p AND begins_with(sk, :prefix)",
                "ExpressionAttributeValues": to_item({":p": tenant_id, ":prefix": "exec_"}),
            }
        filters = []
        if status:
            filters.append("#status = :status")
            kwargs["ExpressionAttributeNames"] = {"#status": "status"}
            kwargs["ExpressionAttributeValues"][":status"] = {"S": status.value}
        if schedule_id:
            filters.append("schedule_id = :schedule")
            kwargs["ExpressionAttributeValues"][":schedule"] = {"S": schedule_id}
        if filters:
            kwargs["FilterExpression"] = " AND ".join(filters)
        start = decode_token(next_token, partition_attr=partition[0], partition_value=partition[1])
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = self.db.query(**kwargs)
        return [_record(item) for item in page.get("Items", [])], encode_token(page.get("LastEvaluatedKey"))

    def mark_running(
        self,
        tenant_id: str,
        execution_id: str,
        execution_arn: str,
        started_at: str,
        attempts: builtins.list[Attempt],
    ) -> None:
        self._update_if_active(
            tenant_id,
            execution_id,
            {
                "status": ExecutionStatus.RUNNING.value,
                "execution_arn": execution_arn,
                "started_at": started_at,
                "attempts": _json(attempts),
            },
            only_if=[ExecutionStatus.PENDING],
            remove=["pending", "pending_since"],
        )

    def claim_start(self, tenant_id: str, execution_id: str, now: str, stale_before: str) -> bool:
        """Take over starting a pending execution whose last starter claimed it before ``stale_before``.

        Only one caller wins each claim, so a retry and the periodic repair do not both start it
        (and Step Functions' unique execution names stop a double start even if they did).
        """
        try:
            self.db.update_item(
                TableName=self.table,
                Key=self._key(tenant_id, execution_id),
                UpdateExpression="SET start_claimed_at = :now",
                ConditionExpression=(
                    "#status = :pending AND "
                    "(attribute_not_exists(start_claimed_at) OR start_claimed_at < :stale)"
                ),
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_item(
                    {":now": now, ":stale": stale_before, ":pending": ExecutionStatus.PENDING.value}
                ),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def pending_since(self, before: str, limit: int = 100) -> builtins.list[ExecutionRecord]:
        """Executions of any tenant still ``pending`` that were created before ``before``, oldest first."""
        page = self.db.query(
            TableName=self.table,
            IndexName="pending_starts",
            KeyConditionExpression="#pending = :p AND pending_since < :before",
            ExpressionAttributeNames={"#pending": "pending"},
            ExpressionAttributeValues=to_item({":p": PENDING_PARTITION, ":before": before}),
            Limit=limit,
        )
        return [_record(item) for item in page.get("Items", [])]

    def resume(
        self,
        record: ExecutionRecord,
        *,
        execution_arn: str,
        attempts: builtins.list[Attempt],
        workflow_version: int,
        plan: builtins.list[tuple[str, str]],
        sinks: builtins.list[str],
    ) -> bool:
        """Move a failed, timed-out or cancelled execution back to running for a new attempt.

        Conditional on the status it had when read: of two resumes at once, one wins.
        """
        return self._update_if_active(
            record.tenant_id,
            record.id,
            {
                "status": ExecutionStatus.RUNNING.value,
                "execution_arn": execution_arn,
                "attempts": _json(attempts),
                "workflow_version": workflow_version,
                "plan": [list(step) for step in plan],
                "sinks": sinks,
            },
            only_if=[record.status],
            remove=["completed_at", "error", "metrics"],
        )

    def set_waiting(self, tenant_id: str, execution_id: str, waiting: bool) -> bool:
        """``waiting_approval`` while a decision is pending, ``running`` again after; never over an end."""
        target, source = (
            (ExecutionStatus.WAITING_APPROVAL, ExecutionStatus.RUNNING)
            if waiting
            else (ExecutionStatus.RUNNING, ExecutionStatus.WAITING_APPROVAL)
        )
        return self._update_if_active(tenant_id, execution_id, {"status": target.value}, only_if=[source])

    def set_budget(self, tenant_id: str, execution_id: str, budget: Budget) -> None:
        """The run's budget, as a budget approval raised it."""
        self._update_if_active(tenant_id, execution_id, {"budget": _json(budget)})

    def finish(
        self,
        tenant_id: str,
        execution_id: str,
        status: ExecutionStatus,
        completed_at: str,
        error: ExecutionError | None,
        metrics: ExecutionMetrics,
        attempts: builtins.list[Attempt] | None = None,
    ) -> bool:
        """Set a terminal status unless one is already set (the first terminal status wins)."""
        values: dict[str, Any] = {
            "status": status.value,
            "completed_at": completed_at,
            "metrics": metrics.model_dump_json(),
        }
        if error:
            values["error"] = error.model_dump_json()
        if attempts:
            values["attempts"] = _json(attempts)
        return self._update_if_active(tenant_id, execution_id, values, remove=["pending", "pending_since"])

    def _update_if_active(
        self,
        tenant_id: str,
        execution_id: str,
        values: dict[str, Any],
        only_if: builtins.list[ExecutionStatus] | None = None,
        remove: builtins.list[str] | None = None,
    ) -> bool:
        names = {f"#{name}": name for name in [*values, *(remove or [])]}
        expression_values = to_item({f":{name}": value for name, value in values.items()})
        if only_if:
            condition = "#status IN (" + ", ".join(f":only{i}" for i in range(len(only_if))) + ")"
            expression_values |= {f":only{i}": {"S": status.value} for i, status in enumerate(only_if)}
        else:
            condition = (
                "attribute_exists(sk) AND NOT #status IN ("
                + ", ".join(f":t{index}" for index in range(len(_TERMINAL)))
                + ")"
            )
            expression_values |= {f":t{index}": {"S": status} for index, status in enumerate(_TERMINAL)}
        names["#status"] = "status"
        try:
            self.db.update_item(
                TableName=self.table,
                Key=self._key(tenant_id, execution_id),
                UpdateExpression="SET "
                + ", ".join(f"#{name} = :{name}" for name in values)
                + (" REMOVE " + ", ".join(f"#{name}" for name in remove) if remove else ""),
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=expression_values,
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True
