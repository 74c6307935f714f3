"""The one Tracer of the package (X-Ray through Powertools; boto3 calls become subsegments)."""

from __future__ import annotations

from aws_lambda_powertools import Tracer

# Only boto3 calls become subsegments: patching every library would import httpx and requests
# into functions that never use them (cold-start cost measured by `make bench`).
tracer = Tracer(service="agentflow", patch_modules=["botocore"])
