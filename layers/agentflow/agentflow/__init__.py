"""AgentFlow: multi-agent business workflows compiled to AWS Step Functions."""

__version__ = "0.1.0"
