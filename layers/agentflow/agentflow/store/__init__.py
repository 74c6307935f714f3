"""DynamoDB repositories (and S3 for large payloads): the only code that knows tables, keys and items."""
