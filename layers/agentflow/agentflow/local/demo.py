"""``agentflow demo``: the reference Sales Outreach workflow, end to end on the local stack."""

from __future__ import annotations

import contextlib
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import TextIO

from agentflow.client import AgentFlowClient, ApiError
from agentflow.local.documents import seed_sandbox_documents
from agentflow.local.gateway import Gateway, GatewayServer
from agentflow.local.report import execution_report
from agentflow.local.stack import DEFAULT_API_KEY, LocalStack, project_root

DEMO_INPUT = "Find Q4 deals over $100K and send check-in emails"


def approve_when_asked(client: AgentFlowClient, execution_id: str, out: TextIO, timeout: float = 60) -> None:
    """Wait for the run's approval, show what it holds, and approve exactly that (by its digest)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pending = [item for item in client.approvals()[0] if item["execution_id"] == execution_id]
        if pending:
            item = pending[0]
            deals = (item.get("payload") or {}).get("deals") or []
            print(f"  waiting_approval on {item['node_id']}: {item['message']}", file=out)
            print(f"    payload: {len(deals)} deals, digest {item['payload_digest']}", file=out)
            client.decide_approval(execution_id, item["node_id"], "approve", item["payload_digest"], "demo")
            print(f"    approved (agentflow approvals approve {execution_id} {item['node_id']})", file=out)
            return
        time.sleep(0.2)


def run_demo(
    data_dir: Path | None = None,
    sandbox_latency_ms: int = 0,
    out: TextIO = sys.stdout,
    approval: bool = False,
) -> int:
    """Run the demo and print its report; 0 only when the execution completed.

    With ``approval`` the workflow holds the deals for a review, which the demo approves.
    """
    data_dir = data_dir or Path(tempfile.mkdtemp(prefix="agentflow-demo-"))
    function_log = data_dir / "functions.log"
    example = "outreach_with_approval.json" if approval else "sales_outreach.json"
    definition = json.loads((project_root() / "examples" / example).read_text())
    print(f"AgentFlow demo: {definition['name']} on the local stack (moto, no AWS account)", file=out)
    clock = time.perf_counter()
    with LocalStack(
        data_dir=data_dir, sandbox_latency_ms=sandbox_latency_ms, function_log=function_log
    ) as stack:
        server = GatewayServer(Gateway(stack.template, stack.lambdas), port=0).start()
        client = AgentFlowClient(server.url, DEFAULT_API_KEY)
        try:
            print(f"  stack ready in {time.perf_counter() - clock:.1f} s; API {server.url}", file=out)
            # EMF metric lines go to stdout in Lambda; keep them with the function logs here.
            indexing = time.perf_counter()
            with function_log.open("a") as sink, contextlib.redirect_stdout(sink):
                documents = seed_sandbox_documents(client)
            ready = [document for document in documents if document["status"] == "ready"]
            chunks = sum(document.get("chunks") or 0 for document in ready)
            print(
                f"  {len(ready)} sandbox documents indexed ({chunks} chunks) in "
                f"{time.perf_counter() - indexing:.1f} s, for the email agent's use_rag",
                file=out,
            )
            with function_log.open("a") as sink, contextlib.redirect_stdout(sink):
                workflow = client.create_workflow(definition)
                started = client.start_execution(workflow["id"], DEMO_INPUT)
            if approval:
                approve_when_asked(client, started["id"], out)
            with function_log.open("a") as sink, contextlib.redirect_stdout(sink):
                execution = client.wait(started["id"])
                timeline = client.timeline(started["id"])
                logs = client.logs(started["id"])
        except ApiError as error:
            print(f"The API refused the demo: {error}", file=out)
            return 1
        finally:
            client.close()
            server.stop()
    print(
        f"  workflow {workflow['id']} (version {workflow['version']}): "
        + " → ".join(workflow["execution_order"]),
        file=out,
    )
    print(f"  execution {execution['id']} with input {DEMO_INPUT!r}", file=out)
    print("", file=out)
    print(execution_report(execution, timeline, logs), file=out)
    print("", file=out)
    print(f"Function logs (Powertools JSON, EMF metrics): {function_log}", file=out)
    return 0 if execution["status"] == "completed" else 1
