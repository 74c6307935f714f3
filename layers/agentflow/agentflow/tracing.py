"""The one Tracer of the package (X-Ray through Powertools; boto3 calls become subsegments)."""

from __future__ import annotations

from aws_lambda_powertools import Tracer

tracer = Tracer(service="agentflow")
