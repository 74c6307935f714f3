"""The minimal Powertools handler the other functions' cold imports are compared with (not deployed):
a Logger and boto3."""

from typing import Any

import boto3  # noqa: F401  (imported as a real handler would, for its clients)
from aws_lambda_powertools import Logger

logger = Logger()


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"ok": True}
