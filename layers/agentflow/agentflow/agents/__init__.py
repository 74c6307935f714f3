"""Agent types: one file each, registered explicitly in :mod:`agentflow.registry`."""
