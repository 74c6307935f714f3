"""Approvals waiting for a decision (the decision itself is on the execution's route)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from agentflow.models import ApprovalList, ApprovalStatus

from .common import tenant_of

if TYPE_CHECKING:
    from agentflow.services.approvals import ApprovalService

router = APIGatewayRouter()


@cache
def service() -> ApprovalService:
    from agentflow.services.approvals import ApprovalService

    return ApprovalService()


@router.get("/approvals", summary="List approvals, oldest first", tags=["Approvals"])
def list_approvals(
    status: Annotated[ApprovalStatus | None, Query()] = ApprovalStatus.PENDING,
    workflow_id: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    next_token: Annotated[str | None, Query()] = None,
) -> ApprovalList:
    approvals, token = service().list(
        tenant_of(router), status=status, workflow_id=workflow_id, limit=limit, next_token=next_token
    )
    return ApprovalList(approvals=approvals, next_token=token)
