"""Prints which vendor operations the conformance run checked (the coverage the README reports)."""

from __future__ import annotations

from typing import Any

from tests.conformance.vendor_specs import COVERAGE


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not COVERAGE.checked:
        return
    terminalreporter.section("vendor conformance: operations checked")
    for vendor, operations in sorted(COVERAGE.checked.items()):
        terminalreporter.write_line(f"{vendor} ({len(operations)}): {', '.join(sorted(operations))}")
