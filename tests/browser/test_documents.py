"""The console's Documents page in a real browser: upload, live status, search, refusal, deletion."""

from __future__ import annotations

import pytest
from playwright.sync_api import FilePayload, expect

from agentflow.client import AgentFlowClient
from agentflow.local.documents import sandbox_documents
from tests.browser.conftest import Console
from tests.helpers import reference_workflow

pytestmark = pytest.mark.browser

PDF = "security_compliance.pdf"  # two pages; page 2 states the recovery objectives
TXT = "customer_references.txt"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"


def payload(name: str, data: bytes, mime_type: str) -> FilePayload:
    return {"name": name, "mimeType": mime_type, "buffer": data}


def test_documents_are_uploaded_searched_refused_and_deleted(
    console: Console, client: AgentFlowClient
) -> None:
    files = dict(sandbox_documents())
    page = console.page
    console.sign_in()
    page.get_by_role("link", name="Documents").click()
    expect(page.get_by_role("heading", name="Documents", level=1)).to_be_focused()
    # When a PDF and a text file are chosen together and uploaded
    page.get_by_label("Files").set_input_files(
        [payload(PDF, files[PDF], "application/pdf"), payload(TXT, files[TXT], "text/plain")]
    )
    page.get_by_role("button", name="Upload").click()
    # Then polling follows both to ready, with their pages and chunks
    rows = page.locator("#documents-table tbody tr")
    pdf_row, txt_row = rows.filter(has_text=PDF), rows.filter(has_text=TXT)
    expect(pdf_row.locator(".badge")).to_have_text("ready", timeout=30_000)
    expect(txt_row.locator(".badge")).to_have_text("ready", timeout=30_000)
    expect(pdf_row.locator("td").nth(1)).to_have_text("PDF")
    expect(pdf_row.locator("td").nth(4)).to_have_text("2")
    expect(txt_row.locator("td").nth(4)).to_have_text("1")
    expect(txt_row.locator("td").nth(5)).not_to_have_text("—")
    expect(page.locator("#documents-summary")).to_have_text("2 documents.")
    # And a search for what page 2 of the PDF says finds it first, with its page
    page.get_by_label("Query").fill("disaster recovery time objective and recovery point objective")
    page.get_by_role("button", name="Search").click()
    first = page.locator("#search-results > li").first
    expect(first.locator(".hit-file")).to_have_text(PDF)
    expect(first.locator(".hit-page")).to_have_text("page 2")
    expect(first.locator(".excerpt")).to_contain_text("recovery point objective")
    scores = [float(text.rstrip("%")) for text in page.locator(".score-value").all_inner_texts()]
    assert scores == sorted(scores, reverse=True) and 0 < scores[0] <= 100
    console.screenshot("documents-searched")
    # A PNG is refused with the API's message beside the form, and listed nowhere
    page.get_by_label("Files").set_input_files(payload("photo.png", PNG, "image/png"))
    page.get_by_role("button", name="Upload").click()
    refusal = page.locator("#upload-error")
    expect(refusal).to_contain_text("photo.png: 422")
    expect(refusal).to_contain_text("is not a PDF, DOCX, TXT or Markdown file")
    expect(refusal).not_to_contain_text("null")
    expect(rows).to_have_count(2)
    console.screenshot("documents-refused")
    # Deleting asks first (dismissed: it stays), then deletes once accepted
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name=f"Delete {TXT}").click()
    expect(rows).to_have_count(2)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=f"Delete {TXT}").click()
    expect(rows).to_have_count(1)
    expect(page.get_by_role("heading", name="Your documents")).to_be_focused()
    assert [document["filename"] for document in client.documents()[0]] == [PDF]
    # And the page reads on a narrow window: the table scrolls in its frame, not the page
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    console.screenshot("documents-narrow")
    assert console.unexpected_errors(422) == []


def test_a_large_file_goes_to_storage_and_its_failure_is_shown(console: Console) -> None:
    # Over 4 MiB the console asks for a presigned URL and PUTs the file to S3 (moto) itself
    large = PNG + bytes(4 * 1024 * 1024)
    page = console.page
    console.sign_in()
    page.get_by_role("link", name="Documents").click()
    page.get_by_label("Files").set_input_files(payload("scan.png", large, "image/png"))
    page.get_by_role("button", name="Upload").click()
    row = page.locator("#documents-table tbody tr", has_text="scan.png")
    # Ingestion judges the content and fails it, with the reason in the row
    expect(row.locator(".badge")).to_have_text("failed", timeout=20_000)
    expect(row.locator(".document-error")).not_to_be_empty()
    expect(row).to_contain_text("4.0 MiB")
    expect(page.locator("#upload-error")).to_be_empty()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete scan.png").click()
    expect(row).to_have_count(0)
    assert console.unexpected_errors() == []


def test_more_documents_load_on_demand_for_one_workflow(console: Console, client: AgentFlowClient) -> None:
    # Given a workflow with 27 documents whose files are still awaited (nothing to ingest)
    created = client.create_workflow(reference_workflow())
    for number in range(27):
        ticket = {"filename": f"notes-{number:02}.txt", "size_bytes": 100, "workflow_id": created["id"]}
        client.request("POST", "/api/v1/documents/uploads", json=ticket)
    page = console.page
    console.sign_in()
    page.goto(f"{console.url}/#/documents?workflow_id={created['id']}")
    rows = page.locator("#documents-table tbody tr")
    expect(rows).to_have_count(25)
    expect(rows.first).to_contain_text("notes-26.txt")
    expect(rows.first.locator(".badge")).to_have_text("awaiting_upload")
    page.get_by_role("button", name="Load more").click()
    expect(rows).to_have_count(27)
    expect(rows.last).to_contain_text("notes-00.txt")
    expect(page.get_by_role("button", name="Load more")).to_be_hidden()
    expect(page.locator("#documents-summary")).to_have_text("27 documents, 27 processing.")
    client.delete_workflow(created["id"])
    assert console.unexpected_errors() == []
