"""Agent catalog and health."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from agentflow import __version__
from agentflow.models import AgentTypeList, Health
from agentflow.registry import REGISTRY

router = APIGatewayRouter()


@router.get("/health", summary="Service health", tags=["Health"])
def health() -> Health:
    return Health(version=__version__)


@router.get("/agents/types", summary="Agent types with their config JSON Schemas", tags=["Agents"])
def agent_types() -> AgentTypeList:
    return AgentTypeList(agent_types=REGISTRY.describe())
