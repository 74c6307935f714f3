"""The minimal Powertools API handler the API function's cold import is compared with (not deployed):
a REST resolver with validation and one pydantic route, a Logger, boto3."""

from typing import Any

import boto3  # noqa: F401  (imported as a real handler would, for its clients)
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from pydantic import BaseModel

logger = Logger()
app = APIGatewayRestResolver(enable_validation=True)


class Item(BaseModel):
    name: str


@app.post("/items")
def create(item: Item) -> Item:
    return item


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
