"""The agent registry: agent type → agent class. Registering an agent is one explicit line."""

from __future__ import annotations

from agentflow.agents.base import Agent
from agentflow.agents.email_outreach import EmailOutreachAgent
from agentflow.agents.hubspot import HubSpotAgent
from agentflow.agents.jira import JiraAgent
from agentflow.agents.sales_intelligence import SalesIntelligenceAgent
from agentflow.agents.sap import SapAgent
from agentflow.agents.servicenow import ServiceNowAgent
from agentflow.agents.slack import SlackAgent
from agentflow.agents.workday import WorkdayAgent
from agentflow.agents.zendesk import ZendeskAgent
from agentflow.models import AgentTypeInfo


class AgentRegistry:
    """Known agent types, in registration order."""

    def __init__(self) -> None:
        self._agents: dict[str, type[Agent]] = {}

    def register(self, agent: type[Agent]) -> None:
        if agent.agent_type in self._agents:
            raise ValueError(f"Agent type '{agent.agent_type}' is registered twice.")
        self._agents[agent.agent_type] = agent

    def find(self, agent_type: str) -> type[Agent] | None:
        return self._agents.get(agent_type)

    def get(self, agent_type: str) -> type[Agent]:
        agent = self._agents.get(agent_type)
        if agent is None:
            raise KeyError(f"Unknown agent type '{agent_type}'.")
        return agent

    def types(self) -> list[str]:
        return list(self._agents)

    def describe(self) -> list[AgentTypeInfo]:
        """Every type with its name, description and config JSON Schema (the agent catalog)."""
        return [
            AgentTypeInfo(
                type=agent.agent_type,
                name=agent.name,
                description=agent.description,
                config_schema=agent.config_model.model_json_schema(),
            )
            for agent in self._agents.values()
        ]


def default_registry() -> AgentRegistry:
    registry = AgentRegistry()
    registry.register(SalesIntelligenceAgent)
    registry.register(EmailOutreachAgent)
    registry.register(SlackAgent)
    registry.register(JiraAgent)
    registry.register(ZendeskAgent)
    registry.register(ServiceNowAgent)
    registry.register(WorkdayAgent)
    registry.register(SapAgent)
    registry.register(HubSpotAgent)
    return registry


REGISTRY = default_registry()
