"""The ``agentflow`` command: the local stack, the demo, API keys of a deployed stack, and the API commands
(workflows, run, executions, schedules, webhooks, triggers, agent-types; see ``agentflow.cli_api``)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from agentflow import cli_api


def _api_key(value: str) -> tuple[str, str]:
    tenant, separator, key = value.partition(":")
    if not separator or not tenant or not key:
        raise argparse.ArgumentTypeError(f"expected TENANT:KEY, got {value!r}")
    return tenant, key


def _index_sandbox_documents(url: str, keys: list[str]) -> None:
    import time

    from agentflow.client import AgentFlowClient
    from agentflow.local.documents import seed_sandbox_documents

    clock = time.perf_counter()
    print("  indexing the sandbox documents (account plans, product and pricing sheets)…", flush=True)
    for key in keys:
        with AgentFlowClient(url, key) as client:
            documents = seed_sandbox_documents(client)
    ready = [document for document in documents if document["status"] == "ready"]
    chunks = sum(document.get("chunks") or 0 for document in ready)
    print(f"  {len(ready)} documents ready ({chunks} chunks) in {time.perf_counter() - clock:.1f} s")


def _register_examples(url: str, keys: list[str]) -> None:
    from agentflow.client import AgentFlowClient
    from agentflow.local.examples import register_examples

    for key in keys:
        with AgentFlowClient(url, key) as client:
            created = register_examples(client)
    names = ", ".join(workflow["name"] for workflow in created)
    print(f"  example workflows: {names or 'already registered'}", flush=True)


def _local(args: argparse.Namespace) -> int:
    from agentflow.local.gateway import Gateway, GatewayServer
    from agentflow.local.stack import DEFAULT_API_KEY, DEFAULT_TENANT, LocalStack
    from agentflow.local.terminal import ExecutionLines, TerminalLog

    pairs = args.api_key or [(DEFAULT_TENANT, DEFAULT_API_KEY)]
    data_dir = Path(args.data_dir)
    # The functions' JSON lines go to a file (CloudWatch's place); the terminal gets one line per
    # request and per execution.
    function_log = data_dir / "functions.log"
    terminal = TerminalLog()
    stack = LocalStack(
        data_dir=data_dir,
        api_keys={key: tenant for tenant, key in pairs},
        sandbox_latency_ms=args.sandbox_latency_ms,
        connector_mode=args.connector_mode,
        host=args.host,
        function_log=function_log,
    ).start()
    executions = ExecutionLines(terminal).attach()
    try:
        gateway = Gateway(stack.template, stack.lambdas)
        server = GatewayServer(gateway, host=args.host, port=args.port, on_request=terminal.request).start()
    except OSError as error:
        executions.detach()
        stack.stop()
        print(f"agentflow local: cannot listen on {args.host}:{args.port}: {error.strerror}", file=sys.stderr)
        return 2
    from agentflow.local.scheduler import LocalScheduler

    # moto stores EventBridge Scheduler schedules and rules but never fires them: this loop does
    # (the workflows' schedules, and the stack's minute repair of stranded runs and late approvals).
    schedules = LocalScheduler(
        stack.client("scheduler"), stack.lambdas, rules=stack.template.schedule_events()
    ).start()
    print(f"AgentFlow local stack at {server.url}  (Swagger UI: {server.url}/docs)")
    print(f"  web console: {server.url}/  (sign in with an API key below)")
    for tenant, key in pairs:
        print(f"  tenant {tenant!r}: Authorization: Bearer {key}")
    print(f"  function logs (JSON): {function_log.resolve()}")
    if args.examples:
        with terminal.muted():
            _register_examples(server.url, [key for _, key in pairs])
    if args.sandbox_documents:
        with terminal.muted():  # its uploads and status polls are the stack's own, not the user's
            _index_sandbox_documents(server.url, [key for _, key in pairs])
    print(f"  data: {data_dir.resolve()}   Ctrl-C stops", flush=True)
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    try:
        stopped.wait()
    finally:
        print("\nStopping…")
        schedules.stop()
        server.stop()
        executions.detach()
        stack.stop()
    return 0


def _demo(args: argparse.Namespace) -> int:
    from agentflow.local.demo import run_demo

    return run_demo(
        Path(args.data_dir) if args.data_dir else None, args.sandbox_latency_ms, approval=args.approval
    )


def _create_api_key(args: argparse.Namespace) -> int:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from agentflow.store.apikeys import ApiKeyRepository

    try:
        cloudformation = boto3.client("cloudformation", region_name=args.region)
        stack = cloudformation.describe_stacks(StackName=args.stack_name)["Stacks"][0]
        outputs = {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}
        table = outputs["ApiKeysTableName"]
        dynamodb = boto3.client("dynamodb", region_name=cloudformation.meta.region_name)
        api_key = ApiKeyRepository(table=table, db=dynamodb).create(args.tenant, name=args.name)
    except KeyError:
        print(
            f"Stack {args.stack_name!r} has no ApiKeysTableName output; is it an AgentFlow stack?",
            file=sys.stderr,
        )
        return 1
    except (BotoCoreError, ClientError) as error:
        print(f"Could not create the key: {error}", file=sys.stderr)
        return 1
    print(f"API key for tenant {args.tenant!r} (shown once; only its hash is stored):")
    print(api_key)
    if "ApiUrl" in outputs:
        print(f"Try: curl -H 'Authorization: Bearer {api_key}' {outputs['ApiUrl']}/api/v1/agents/types")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="agentflow",
        description="Multi-agent workflows on AWS serverless.",
        epilog=cli_api.EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cli_api.add_connection_options(parser)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    local = commands.add_parser("local", help="run the API on a local stack (moto; no AWS account)")
    local.add_argument("--host", default="127.0.0.1")
    local.add_argument("--port", type=int, default=8000)
    local.add_argument(
        "--api-key",
        action="append",
        type=_api_key,
        metavar="TENANT:KEY",
        help="may repeat; default: tenant 'default' with key 'dev-local-key'",
    )
    local.add_argument(
        "--data-dir", default=".local-data", help="sandbox outbox, local state and functions.log"
    )
    local.add_argument(
        "--no-sandbox-documents",
        dest="sandbox_documents",
        action="store_false",
        help="do not index the bundled sandbox documents for each tenant at start",
    )
    local.add_argument(
        "--no-examples",
        dest="examples",
        action="store_false",
        help="do not register the workflows of examples/ for each tenant at start",
    )
    local.add_argument("--sandbox-latency-ms", type=int, default=0, help="delay every sandbox connector call")
    local.add_argument(
        "--connector-mode",
        choices=("sandbox", "live"),
        default="sandbox",
        help="live: connectors call the vendors with credentials from the (local) Secrets Manager",
    )
    local.set_defaults(run=_local)

    demo = commands.add_parser("demo", help="run the Sales Outreach workflow end to end locally")
    demo.add_argument("--data-dir", default=None)
    demo.add_argument("--sandbox-latency-ms", type=int, default=0)
    demo.add_argument(
        "--approval",
        action="store_true",
        help="run examples/outreach_with_approval.json: the run waits for a review, the demo approves it",
    )
    demo.set_defaults(run=_demo)

    keys = commands.add_parser("api-keys", help="manage API keys of a deployed stack")
    key_commands = keys.add_subparsers(dest="key_command", required=True)
    create = key_commands.add_parser("create", help="create a key for a tenant and print it once")
    create.add_argument("--tenant", required=True)
    create.add_argument("--stack-name", default="agentflow")
    create.add_argument("--region", default=None)
    create.add_argument("--name", default="", help="a label for the key")
    create.set_defaults(run=_create_api_key)

    cli_api.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
