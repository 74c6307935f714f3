"""The agent registry: agent type → agent class. Registering an agent is one explicit line.

A registration names the class by import path and the class is imported on first use, so an
agent Lambda loads its own agent and its vendor's connector, not all nine of them.
"""

from __future__ import annotations

import importlib
import threading

from agentflow.agents.base import Agent
from agentflow.models import AgentTypeInfo


class AgentRegistry:
    """Known agent types, in registration order."""

    def __init__(self) -> None:
        self._paths: dict[str, str] = {}
        self._loaded: dict[str, type[Agent]] = {}
        self._lock = threading.Lock()

    def register(self, agent_type: str, path: str) -> None:
        """Register ``agent_type`` as the class at ``path`` ("package.module:ClassName")."""
        if agent_type in self._paths:
            raise ValueError(f"Agent type '{agent_type}' is registered twice.")
        self._paths[agent_type] = path

    def find(self, agent_type: str) -> type[Agent] | None:
        if agent_type not in self._paths:
            return None
        with self._lock:
            if agent_type not in self._loaded:
                module_name, class_name = self._paths[agent_type].split(":")
                agent: type[Agent] = getattr(importlib.import_module(module_name), class_name)
                if agent.agent_type != agent_type:
                    raise ValueError(
                        f"{self._paths[agent_type]} is '{agent.agent_type}', not '{agent_type}'."
                    )
                self._loaded[agent_type] = agent
            return self._loaded[agent_type]

    def get(self, agent_type: str) -> type[Agent]:
        agent = self.find(agent_type)
        if agent is None:
            raise KeyError(f"Unknown agent type '{agent_type}'.")
        return agent

    def types(self) -> list[str]:
        return list(self._paths)

    def describe(self) -> list[AgentTypeInfo]:
        """Every type with its name, description and config JSON Schema (the agent catalog)."""
        return [
            AgentTypeInfo(
                type=agent.agent_type,
                name=agent.name,
                description=agent.description,
                config_schema=agent.config_model.model_json_schema(),
            )
            for agent in map(self.get, self._paths)
        ]


def default_registry() -> AgentRegistry:
    registry = AgentRegistry()
    registry.register("sales_intelligence", "agentflow.agents.sales_intelligence:SalesIntelligenceAgent")
    registry.register("email_outreach", "agentflow.agents.email_outreach:EmailOutreachAgent")
    registry.register("slack", "agentflow.agents.slack:SlackAgent")
    registry.register("jira", "agentflow.agents.jira:JiraAgent")
    registry.register("zendesk", "agentflow.agents.zendesk:ZendeskAgent")
    registry.register("servicenow", "agentflow.agents.servicenow:ServiceNowAgent")
    registry.register("workday", "agentflow.agents.workday:WorkdayAgent")
    registry.register("sap", "agentflow.agents.sap:SapAgent")
    registry.register("hubspot", "agentflow.agents.hubspot:HubSpotAgent")
    registry.register("approval", "agentflow.agents.approval:ApprovalAgent")
    return registry


REGISTRY = default_registry()
