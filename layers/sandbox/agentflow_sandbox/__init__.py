"""Vendor emulators over bundled data (CONNECTOR_MODE=sandbox): the sandbox layer, never production.

One module per vendor, beside the live client in ``agentflow.connectors.<vendor>`` and with the same
interface; ``data/`` holds the bundled records and documents.
"""
