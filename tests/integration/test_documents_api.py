"""The documents API on the in-process stack: upload, ingestion, cited search, bad input, tenancy.

Ingestion runs for real: the file lands in the documents bucket, S3's notification starts the
ingestion state machine, and its steps extract, chunk, embed (the offline MiniLM) and store
(embedded Chroma). Each test waits for the machine, then reads what the API says.
"""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any

import pytest

from agentflow.local.stack import LocalStack
from tests import doc_fixtures
from tests.helpers import GatewayApi, workflow

ROOT = "/api/v1/documents"


def upload(api: GatewayApi, filename: str, data: bytes, workflow_id: str | None = None) -> tuple[int, Any]:
    body: dict[str, Any] = {"filename": filename, "content_base64": base64.b64encode(data).decode()}
    if workflow_id:
        body["workflow_id"] = workflow_id
    return api.post(ROOT, body)


def multipart(fields: dict[str, tuple[str | None, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, (filename, value) in fields.items():
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        parts.append(f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + value + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def settled(api: GatewayApi, stack: LocalStack, document_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        stack.wait_for_executions(timeout)
        status, document = api.get(f"{ROOT}/{document_id}")
        assert status == 200, document
        if document["status"] not in ("processing", "awaiting_upload") or time.monotonic() > deadline:
            return document
        time.sleep(0.05)


def ingest(api: GatewayApi, stack: LocalStack, filename: str, data: bytes, **kwargs: Any) -> dict[str, Any]:
    status, document = upload(api, filename, data, **kwargs)
    assert status == 202, document
    assert document["status"] == "processing" and document["id"].startswith("doc_")
    return settled(api, stack, document["id"])


def search(api: GatewayApi, query: str, **kwargs: Any) -> list[dict[str, Any]]:
    status, body = api.post(f"{ROOT}/search", {"query": query, **kwargs})
    assert status == 200, body
    return body["results"]


HARBOR = (
    "Harborview Freight renewal notes. The economic buyer at Harborview Freight is Dana Whitfield, "
    "the chief operating officer. Harborview Freight asked for a pilot of route optimisation in March."
)
PRICING = (
    "Pricing policy. Discounts above 20 percent need approval from the VP of Sales. Net 45 terms are allowed."
)


def test_a_text_file_is_ingested_and_found_with_a_citation(api: GatewayApi, stack: LocalStack) -> None:
    document = ingest(api, stack, "harborview.txt", HARBOR.encode())
    assert document | {"id": "-", "created_at": "-", "updated_at": "-"} == {
        "id": "-",
        "filename": "harborview.txt",
        "content_type": "text/plain",
        "size_bytes": len(HARBOR),
        "workflow_id": None,
        "status": "ready",
        "error": None,
        "pages": 1,
        "chunks": 1,
        "created_at": "-",
        "updated_at": "-",
    }
    ingest(api, stack, "pricing.md", PRICING.encode())
    results = search(api, "Who is the economic buyer at Harborview Freight?", top_k=2)
    assert results[0]["document_id"] == document["id"]
    assert results[0]["filename"] == "harborview.txt" and results[0]["page"] == 1
    assert "Dana Whitfield" in results[0]["excerpt"]
    assert 0 <= results[1]["score"] <= results[0]["score"] <= 1


def test_pdf_pages_and_docx_page_breaks_are_cited_by_page(api: GatewayApi, stack: LocalStack) -> None:
    pdf = doc_fixtures.pdf_bytes(
        ["Quarterly report of Orchid Labs. Revenue grew.", "Orchid Labs plans to open an office in Lisbon."]
    )
    body, content_type = multipart({"file": ("orchid.pdf", pdf)})
    status, document = api.post(ROOT, raw=body, headers={"Content-Type": content_type})
    assert status == 202, document
    assert settled(api, stack, document["id"])["pages"] == 2
    docx = doc_fixtures.docx_bytes(
        [["Tamarind Bank onboarding."], ["Tamarind Bank requires SAML single sign-on."]]
    )
    assert ingest(api, stack, "tamarind.docx", docx)["pages"] == 2
    lisbon = search(api, "Where will Orchid Labs open an office?", top_k=1)[0]
    assert (lisbon["filename"], lisbon["page"]) == ("orchid.pdf", 2)
    sso = search(api, "What sign-on does Tamarind Bank require?", top_k=1)[0]
    assert (sso["filename"], sso["page"]) == ("tamarind.docx", 2)


def test_the_type_comes_from_the_content_not_the_name(api: GatewayApi, stack: LocalStack) -> None:
    status, body = upload(api, "diagram.pdf", doc_fixtures.png_bytes())
    assert status == 422 and "judged from its content" in body["error"]["message"]
    renamed = ingest(api, stack, "notes.txt", doc_fixtures.pdf_bytes(["Fennel Corp notes."]))
    assert renamed["content_type"] == "application/pdf" and renamed["status"] == "ready"


@pytest.mark.parametrize(
    ("filename", "build", "reason"),
    [
        ("locked.pdf", lambda: doc_fixtures.encrypted_pdf(), "encrypted"),
        ("broken.pdf", lambda: doc_fixtures.truncated(doc_fixtures.pdf_bytes(["Some text here."] * 3)), ""),
        ("bomb.pdf", doc_fixtures.pdf_bomb, ""),
        ("bomb.docx", doc_fixtures.docx_bomb, ""),
        ("scan.pdf", doc_fixtures.image_only_pdf, "no extractable text"),
        ("blank.txt", lambda: b"   \n\n  ", "no extractable text"),
    ],
)
def test_unreadable_documents_fail_with_a_reason_and_leave_nothing_searchable(
    api: GatewayApi, stack: LocalStack, filename: str, build: Any, reason: str
) -> None:
    status, document = upload(api, filename, build())
    if status == 422:  # refused before storing (e.g. nothing to read at all)
        assert document["error"]["message"]
        return
    assert status == 202, document
    failed = settled(api, stack, document["id"])
    assert failed["status"] == "failed", failed
    assert failed["error"] and reason in failed["error"]
    assert failed["chunks"] is None
    assert all(hit["document_id"] != document["id"] for hit in search(api, "report text", top_k=50))


def test_size_limits_and_unknown_workflows(api: GatewayApi) -> None:
    big = b"a" * (4 * 1024 * 1024 + 1)
    status, body = upload(api, "big.txt", big)
    assert status == 413 and "/api/v1/documents/uploads" in body["error"]["message"]
    status, body = api.post(f"{ROOT}/uploads", {"filename": "huge.pdf", "size_bytes": 100 * 1024 * 1024 + 1})
    assert status == 413 and body["error"]["code"] == "payload_too_large"
    status, body = upload(api, "a.txt", b"text", workflow_id="wf_missing")
    assert status == 404
    status, body = api.post(
        f"{ROOT}/uploads", {"filename": "a.pdf", "size_bytes": 10, "workflow_id": "wf_missing"}
    )
    assert status == 404


@pytest.mark.parametrize(
    ("raw", "content_type", "fragment"),
    [
        (b"--x\r\n\r\n", "multipart/form-data", "boundary"),
        (
            b'--b\r\nContent-Disposition: form-data; name="other"\r\n\r\nv\r\n--b--\r\n',
            "multipart/form-data; boundary=b",
            "'file' part",
        ),
        (b'{"filename": "a.txt", "content_base64": "%%%"}', "application/json", "base64"),
        (b'{"filename": "../a.txt", "content_base64": "YQ=="}', "application/json", "filename"),
        (b"{not json", "application/json", "not valid JSON"),
    ],
)
def test_malformed_uploads_are_422(api: GatewayApi, raw: bytes, content_type: str, fragment: str) -> None:
    status, body = api.post(ROOT, raw=raw, headers={"Content-Type": content_type})
    assert status == 422, body
    assert fragment in body["error"]["message"]


def test_search_is_scoped_to_a_workflow_and_to_the_tenant(
    api: GatewayApi, other_tenant: GatewayApi, stack: LocalStack
) -> None:
    status, flow = api.post(
        "/api/v1/workflows", workflow("Scoped", [{"id": "s", "type": "sales_intelligence", "config": {}}], [])
    )
    assert status == 201, flow
    text = b"Quillon Aerospace wants a 3-year term with annual payments."
    scoped = ingest(api, stack, "quillon.txt", text, workflow_id=flow["id"])
    theirs = ingest(other_tenant, stack, "quillon.txt", text)
    mine = search(api, "Quillon Aerospace payment terms", top_k=50)
    assert scoped["id"] in {hit["document_id"] for hit in mine}
    assert theirs["id"] not in {hit["document_id"] for hit in mine}
    assert {hit["document_id"] for hit in search(other_tenant, "Quillon Aerospace", top_k=50)} == {
        theirs["id"]
    }
    within = search(api, "Quillon Aerospace", top_k=50, workflow_id=flow["id"])
    assert {hit["document_id"] for hit in within} == {scoped["id"]}
    assert other_tenant.get(f"{ROOT}/{scoped['id']}")[0] == 404
    assert api.post(f"{ROOT}/search", {"query": "x", "workflow_id": "wf_missing"})[0] == 404
    status, listed = api.get(f"{ROOT}?workflow_id={flow['id']}")
    assert [doc["id"] for doc in listed["documents"]] == [scoped["id"]]
    # Deleting the workflow deletes its documents, and their chunks leave search.
    assert api.call("DELETE", f"/api/v1/workflows/{flow['id']}")[0] == 204
    assert api.get(f"{ROOT}/{scoped['id']}")[0] == 404
    assert scoped["id"] not in {hit["document_id"] for hit in search(api, "Quillon Aerospace", top_k=50)}


def test_delete_removes_the_document_and_its_chunks(api: GatewayApi, stack: LocalStack) -> None:
    document = ingest(api, stack, "zephyr.txt", b"Zephyr Mills renewal is at risk because of pricing.")
    assert document["id"] in {hit["document_id"] for hit in search(api, "Zephyr Mills renewal", top_k=5)}
    assert api.call("DELETE", f"{ROOT}/{document['id']}")[0] == 204
    assert api.get(f"{ROOT}/{document['id']}")[0] == 404
    assert document["id"] not in {hit["document_id"] for hit in search(api, "Zephyr Mills renewal", top_k=50)}
    assert api.call("DELETE", f"{ROOT}/{document['id']}")[0] == 404


def test_listing_is_newest_first_and_pages(api: GatewayApi) -> None:
    ids = [
        upload(api, f"list-{i}.txt", f"Listing document {i} about Umber Tools.".encode())[1]["id"]
        for i in range(3)
    ]
    status, first = api.get(f"{ROOT}?limit=2")
    assert status == 200 and [doc["id"] for doc in first["documents"]] == ids[::-1][:2]
    status, second = api.get(f"{ROOT}?limit=2&next_token={first['next_token']}")
    assert second["documents"][0]["id"] == ids[0]
    assert api.get(f"{ROOT}?next_token=garbage")[0] == 422


def test_a_stack_without_a_vector_store_refuses_documents_up_front(api: GatewayApi) -> None:
    from agentflow.settings import function_environment

    with function_environment({"CHROMA_URL": "", "CHROMA_PATH": ""}):
        from agentflow.services.documents import DocumentService

        with pytest.raises(Exception, match="ChromaUrl") as refused:
            DocumentService().upload("tenant-a", "a.txt", b"text", None)
    assert getattr(refused.value, "status", None) == 503


def test_a_document_deleted_while_it_is_ingested_leaves_nothing_behind(
    api: GatewayApi, stack: LocalStack
) -> None:
    from agentflow.rag.embeddings import LocalMiniLM
    from agentflow.services.retrieval import vector_store
    from agentflow.settings import function_environment

    pages = [
        f"Page {n} of the Saffron Logistics playbook: route planning, depots and carriers." for n in range(8)
    ]
    status, document = upload(api, "saffron.pdf", doc_fixtures.pdf_bytes(pages))
    assert status == 202
    assert api.call("DELETE", f"{ROOT}/{document['id']}")[0] == 204
    stack.wait_for_executions(60)
    assert api.get(f"{ROOT}/{document['id']}")[0] == 404
    environment = stack.lambdas.environment(stack.template.functions()["IngestStepFunction"])
    with function_environment(environment):
        assert vector_store().count("tenant-a", LocalMiniLM.model_id, document["id"]) == 0


def test_each_embedding_batch_reads_only_its_own_parked_chunks(api: GatewayApi, stack: LocalStack) -> None:
    # Given a document stored as uploads store it, and ingestion cutting batches of 2 chunks
    from agentflow.services.documents import CHUNKS_PREFIX, DocumentService
    from agentflow.services.ingestion import IngestionService
    from agentflow.settings import function_environment
    from agentflow.store.documents import object_key

    environment = {
        **stack.lambdas.environment(stack.template.functions()["IngestStepFunction"]),
        "RAG_EMBED_BATCH_CHUNKS": "2",
        "INGESTION_STATE_MACHINE_ARN": "",  # the steps are run here, one by one
    }
    pages = [f"Page {n}: Juniper Analytics renewal notes, item {n}." for n in range(5)]
    with function_environment(environment):
        document = DocumentService().upload("tenant-b", "juniper.pdf", doc_fixtures.pdf_bytes(pages), None)
        stack.wait_for_executions(60)  # the upload's own ingestion, if S3's notification started one
        steps = IngestionService()
        extracted = steps.extract("tenant-b", document.id)
        # When each batch is embedded from its own object, then the document completed
        assert extracted == {"batches": [0, 1, 2], "chunks": 5}
        for batch in extracted["batches"]:
            assert steps.embed("tenant-b", document.id, batch)["chunks"] == (1 if batch == 2 else 2)
        assert steps.complete("tenant-b", document.id)["chunks"] == 5
        bucket = environment["DOCUMENTS_BUCKET"]
        # (this document's parked batches only: other tests' ingestions may still be running)
        prefix = CHUNKS_PREFIX + object_key("tenant-b", document.id).removeprefix("documents/") + "/"
        parked = stack.client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix).get("KeyCount", 0)
    # Then every chunk is stored and nothing stays parked
    assert parked == 0
