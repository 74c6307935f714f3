"""Identifiers: random workflow ids and time-ordered execution ids (newest-first listings)."""

from __future__ import annotations

import hashlib
import secrets
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case


def _base32(number: int, length: int) -> str:
    chars = []
    for _ in range(length):
        number, digit = divmod(number, 32)
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars))


def new_workflow_id() -> str:
    return "wf_" + _base32(secrets.randbits(80), 16)


def new_execution_id(now_ms: int | None = None) -> str:
    """``exec_`` + 10 chars of millisecond time + 16 random chars: sorts by creation time."""
    moment = now_ms if now_ms is not None else time.time_ns() // 1_000_000
    return "exec_" + _base32(moment, 10) + _base32(secrets.randbits(80), 16)


def new_schedule_id() -> str:
    return "sch_" + _base32(secrets.randbits(80), 16)


def derived_execution_id(moment_ms: int, source: str) -> str:
    """An execution id fixed by its source and time (a schedule's delivery): a repeat is the same id."""
    digest = int.from_bytes(hashlib.sha256(source.encode()).digest()[:10], "big")
    return "exec_" + _base32(moment_ms, 10) + _base32(digest, 16)


def new_event_trigger_id() -> str:
    return "evt_" + _base32(secrets.randbits(80), 16)


def new_document_id(now_ms: int | None = None) -> str:
    """``doc_`` + time + random, like execution ids: a tenant's documents list newest first."""
    return "doc" + new_execution_id(now_ms)[4:]
