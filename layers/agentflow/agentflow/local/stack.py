"""The local stack: template.yaml's resources in moto, with Lambdas run in-process.

Two modes: ``server`` (a moto server on 127.0.0.1, what ``agentflow local`` and the end-to-end
tests use) and ``inprocess`` (moto's in-memory mock: no sockets, for integration tests).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import zipfile
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import boto3

from agentflow.local.runtime import InProcessLambdas, check_moto_hooks
from agentflow.local.template import StackTemplate

REGION = "us-east-1"
STACK_NAME = "agentflow-local"
DEFAULT_TENANT = "default"
DEFAULT_API_KEY = "dev-local-key"
SFN_EXECUTION = {"stepfunctions": {"execute_state_machine": True}}


def project_root() -> Path:
    """The checkout holding template.yaml (the local stack runs from the source tree)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "template.yaml").is_file():
            return parent
    raise FileNotFoundError("template.yaml not found above the agentflow package; run from a checkout.")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _dummy_zip() -> bytes:
    # moto wants a code package; the in-process runtime never reads it.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "Runs in-process in the AgentFlow local stack.")
    return buffer.getvalue()


class LocalStack:
    """Creates the template's resources in moto and routes Lambda invocations in-process."""

    def __init__(
        self,
        *,
        data_dir: Path,
        api_keys: dict[str, str] | None = None,
        sandbox_latency_ms: int = 0,
        connector_mode: str = "sandbox",
        mode: str = "server",
        host: str = "127.0.0.1",
        sender_email: str | None = None,
        extra_environment: dict[str, str] | None = None,
        function_log: Path | None = None,
    ) -> None:
        self.root = project_root()
        self.data_dir = data_dir
        self.api_keys = api_keys if api_keys is not None else {DEFAULT_API_KEY: DEFAULT_TENANT}
        self.mode = mode
        self.host = host
        self.template = StackTemplate.load(self.root / "template.yaml", STACK_NAME, REGION)
        self.sender_email = sender_email or self.template.parameters.get(
            "SenderEmail", "agentflow@example.com"
        )
        overrides = {
            "AWS_REGION": REGION,
            "CONNECTOR_MODE": connector_mode,
            # No Bedrock locally: the offline model writes deterministically and counts real tokens.
            "LLM_PROVIDER": "offline",
            "SANDBOX_DIR": str(data_dir / "sandbox"),
            "SANDBOX_LATENCY_MS": str(sandbox_latency_ms),
            # moto runs only the unqualified state machine ARN (see NOTES.md); AWS runs versions.
            "START_PUBLISHED_VERSION": "false",
            "RETRY_INTERVAL_SECONDS": "1",
            # moto's interpreter runs Inline Maps only: for_each nodes fan out inline locally.
            "FAN_OUT_MAP": "inline",
            # Documents: the offline embedding model and an embedded Chroma beside the stack's data.
            "EMBEDDING_PROVIDER": "local",
            "EMBEDDING_MODEL_ID": "",
            "CHROMA_URL": "",
            "CHROMA_PATH": str(data_dir / "chroma"),
            **(extra_environment or {}),
        }
        self.lambdas = InProcessLambdas(self.template.functions(), overrides)
        self.function_log = function_log
        self._log_file: Any = None
        self.moto_port: int | None = None
        self._server: Any = None
        self._mock: AbstractContextManager[Any] | None = None
        self._saved_env: dict[str, str | None] = {}

    @property
    def endpoint(self) -> str | None:
        return f"http://{self.host}:{self.moto_port}" if self.moto_port else None

    def _set_env(self, values: dict[str, str]) -> None:
        for key, value in values.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    def start(self) -> LocalStack:
        check_moto_hooks()  # before anything starts: a wrong moto fails here, with the version it needs
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # moto's state starts empty each time; vectors of documents it no longer knows must go too.
        shutil.rmtree(self.data_dir / "chroma", ignore_errors=True)
        self._set_env(
            {
                # moto's placeholder credentials: the local stack never reaches AWS.
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",  # nosec B105
                "AWS_SESSION_TOKEN": "testing",  # nosec B105
                "AWS_DEFAULT_REGION": REGION,
                "AWS_REGION": REGION,
                "POWERTOOLS_TRACE_DISABLED": "true",
                "POWERTOOLS_METRICS_DISABLED": "true",
                "POWERTOOLS_DEV": "false",
            }
        )
        if self.mode == "server":
            import logging

            from moto.server import ThreadedMotoServer

            logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per moto call otherwise

            self.moto_port = free_port(self.host)
            # moto's Step Functions engine calls Lambda at localhost:$MOTO_PORT.
            self._set_env({"MOTO_PORT": str(self.moto_port), "AWS_ENDPOINT_URL": self.endpoint or ""})
            self._server = ThreadedMotoServer(ip_address=self.host, port=self.moto_port, verbose=False)
            self._server.start()
            self._configure_moto_server()
        else:
            from moto import mock_aws

            os.environ.pop("AWS_ENDPOINT_URL", None)
            config: Any = SFN_EXECUTION
            self._mock = mock_aws(config=config)
            self._mock.__enter__()
        from agentflow.aws import _client

        _client.cache_clear()  # clients made before now point elsewhere
        if self.function_log is not None:
            self._redirect_function_logs(self.function_log)
        self.lambdas.install()
        self._create_resources()
        return self

    def _redirect_function_logs(self, path: Path) -> None:
        """Send the functions' Powertools logs to a file (CloudWatch's place locally)."""
        from agentflow.observability import logger

        path.parent.mkdir(parents=True, exist_ok=True)
        self._log_file = path.open("a", encoding="utf-8")
        logger.registered_handler.setStream(self._log_file)  # type: ignore[attr-defined]

    def _moto_api(self, path: str, body: dict[str, Any] | None = None) -> None:
        import urllib.request

        request = urllib.request.Request(  # noqa: S310 - the loopback moto server
            f"{self.endpoint}/moto-api/{path}",
            data=json.dumps(body or {}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        urllib.request.urlopen(request, timeout=10).close()  # the loopback moto server  # noqa: S310  # nosec B310

    def _configure_moto_server(self) -> None:
        # moto keeps its state in the process: start from nothing, then let Step Functions execute.
        self._moto_api("reset")
        self._moto_api("config", SFN_EXECUTION)

    def wait_for_executions(self, timeout: float = 60.0) -> None:
        """Wait until no state machine execution runs (moto runs them in background threads)."""
        import time

        sfn = self.client("stepfunctions")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            # Every page: a long test session holds more machines than one listing page.
            machines = [
                machine["stateMachineArn"]
                for page in sfn.get_paginator("list_state_machines").paginate()
                for machine in page["stateMachines"]
            ]
            running = any(
                page["executions"]
                for arn in machines
                for page in sfn.get_paginator("list_executions").paginate(
                    stateMachineArn=arn, statusFilter="RUNNING"
                )
            )
            if not running:
                return
            time.sleep(0.2)

    def client(self, service: str) -> Any:
        session: Any = boto3.session.Session()
        return session.client(service, region_name=REGION, endpoint_url=self.endpoint)

    def _create_resources(self) -> None:
        dynamodb = self.client("dynamodb")
        for args in self.template.tables().values():
            ttl = args.pop("_ttl", None)
            dynamodb.create_table(**args)
            if ttl:
                dynamodb.update_time_to_live(TableName=args["TableName"], TimeToLiveSpecification=ttl)
        s3 = self.client("s3")
        for bucket in self.template.buckets():
            s3.create_bucket(Bucket=bucket)
        iam = self.client("iam")
        for logical_id, props in self.template.roles().items():
            iam.create_role(
                RoleName=self.template.physical_name(logical_id),
                AssumeRolePolicyDocument=json.dumps(props["AssumeRolePolicyDocument"]),
            )
        lambda_role = iam.create_role(
            RoleName=f"{STACK_NAME}-functions",
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
        )["Role"]["Arn"]
        lambdas = self.client("lambda")
        code = _dummy_zip()
        for spec in self.template.functions().values():
            lambdas.create_function(
                FunctionName=spec.name,
                Runtime="python3.11",
                Role=lambda_role,
                Handler=spec.handler,
                Code={"ZipFile": code},
                Timeout=spec.timeout,
                Environment={"Variables": spec.environment},
            )
        stepfunctions = self.client("stepfunctions")
        for name, definition in self.template.state_machines().values():
            stepfunctions.create_state_machine(name=name, definition=definition, roleArn=lambda_role)
        for bucket, configurations in self.template.bucket_notifications().items():
            s3.put_bucket_notification_configuration(
                Bucket=bucket, NotificationConfiguration={"LambdaFunctionConfigurations": configurations}
            )
        scheduler = self.client("scheduler")
        for logical_id in self.template.of_type("AWS::Scheduler::ScheduleGroup"):
            scheduler.create_schedule_group(Name=self.template.physical_name(logical_id))
        self.client("ses").verify_email_identity(EmailAddress=self.sender_email)
        from agentflow.settings import function_environment
        from agentflow.store.apikeys import ApiKeyRepository

        api_spec = self.template.functions()[self.template.authorizer_function() or "AuthorizerFunction"]
        with function_environment(self.lambdas.environment(api_spec)):
            keys = ApiKeyRepository()
            for api_key, tenant_id in self.api_keys.items():
                keys.put(tenant_id, api_key, name="local")

    def stop(self) -> None:
        # Executions still running would call AWS endpoints once moto is gone.
        self.wait_for_executions()
        self.lambdas.uninstall()
        if self._server is not None:
            self._moto_api("reset")
            self._server.stop()
            self._server = None
        if self._mock is not None:
            self._mock.__exit__(None, None, None)
            self._mock = None
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()
        if self._log_file is not None:
            import sys

            from agentflow.observability import logger

            logger.registered_handler.setStream(sys.stdout)  # type: ignore[attr-defined]
            self._log_file.close()
            self._log_file = None
        from agentflow.aws import _client

        _client.cache_clear()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
