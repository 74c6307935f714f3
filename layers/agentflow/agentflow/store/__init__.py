"""The data layer: the only code that calls AWS.

DynamoDB repositories (tables, keys, items), S3 objects and large payloads, EventBridge rules and
events, EventBridge Scheduler schedules and Secrets Manager secrets; Step Functions is in
``agentflow.sfn``. Each adapter takes and returns the project's values and raises the project's
errors, never botocore's.
"""
