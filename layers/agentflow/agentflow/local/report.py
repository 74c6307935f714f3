"""Readable text renderings of an execution: deals, emails, metrics, a Gantt timeline and logs."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def gantt(timeline: list[dict[str, Any]], width: int = 40) -> list[str]:
    """One bar per agent on a shared time axis, so parallel agents show side by side."""
    spans = [
        (entry, _moment(entry["started_at"]), _moment(entry["completed_at"]))
        for entry in timeline
        if entry.get("started_at") and entry.get("completed_at")
    ]
    if not spans:
        return ["  (no agent has run)"]
    start = min(begin for _, begin, _ in spans)
    total = max((end - start).total_seconds() for _, _, end in spans) or 1e-9
    name_width = max(len(entry["agent_id"]) for entry, _, _ in spans)
    lines = []
    for entry, begin, end in spans:
        left = int((begin - start).total_seconds() / total * width)
        length = max(1, round((end - begin).total_seconds() / total * width))
        bar = " " * left + "█" * min(length, width - left)
        lines.append(
            f"  {entry['agent_id']:<{name_width}} |{bar:<{width}}| "
            f"{entry['duration_ms']} ms  {entry['status']}"
        )
    return lines


def execution_report(
    execution: dict[str, Any], timeline: list[dict[str, Any]], logs: list[dict[str, Any]]
) -> str:
    lines = [f"Status: {execution['status']}"]
    if execution.get("error"):
        error = execution["error"]
        lines.append(f"Error: {error.get('agent_id') or 'workflow'}: {error['type']}: {error['message']}")
    for run in execution["agent_executions"]:
        output = run.get("output") or {}
        if "deals" in output:
            deals = output["deals"]
            lines += [
                "",
                f"Deals found by {run['agent_id']}: {len(deals)} "
                f"(total ${output.get('total_amount', 0):,.0f})",
            ]
            for deal in deals[:5]:
                lines.append(
                    f"  {deal['name'][:58]:<58} ${deal['amount']:>10,.0f}  closes {deal['close_date']}  "
                    f"owner {deal['owner_name']}"
                )
            if len(deals) > 5:
                lines.append(f"  … and {len(deals) - 5} more")
        if "emails" in output:
            emails = output["emails"]
            lines += [
                "",
                f"Emails sent by {run['agent_id']}: {output['emails_sent']} via {output.get('connector')}",
            ]
            for email in emails[:3]:
                lines += [
                    f"  To: {email['recipient_name']} <{email['recipient']}>   id {email['message_id']}",
                    f"  Subject: {email['subject']}",
                    *[f"    {line}" for line in email["body"].splitlines() if line.strip()][:4],
                    "",
                ]
    metrics = execution["metrics"]
    lines += ["", "Metrics", f"  {'agent':<20} {'tokens':>8} {'cost':>10} {'duration':>10}"]
    for agent_id, figures in metrics["per_agent"].items():
        duration = f"{figures['duration_ms']} ms" if figures.get("duration_ms") is not None else "-"
        lines.append(f"  {agent_id:<20} {figures['tokens']:>8} ${figures['cost_usd']:>9.4f} {duration:>10}")
    lines.append(
        f"  {'total':<20} {metrics['total_tokens']:>8} ${metrics['total_cost_usd']:>9.4f} "
        f"{str(metrics.get('duration_ms')) + ' ms':>10}"
    )
    lines += ["", "Timeline", *gantt(timeline), "", "Logs (INFO and above)"]
    for entry in logs:
        if entry["level"] == "DEBUG":
            continue
        lines.append(
            f"  {entry['timestamp'][11:23]} {entry['level']:<5} "
            f"{entry['agent_id'] or entry['component']:<16} "
            f"{entry['message']}"
        )
    return "\n".join(lines)
