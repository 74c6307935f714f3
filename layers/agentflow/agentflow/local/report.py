"""Readable text renderings of an execution: deals, emails, metrics, a Gantt timeline and logs."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def gantt(timeline: list[dict[str, Any]], width: int = 40) -> list[str]:
    """One bar per agent on a shared time axis, so parallel agents show side by side.

    Agents that have not finished (pending, running, skipped after a failure) get an empty row.
    """
    spans = [
        (entry, _moment(entry["started_at"]), _moment(entry["completed_at"]))
        for entry in timeline
        if entry.get("started_at") and entry.get("completed_at")
    ]
    if not spans:
        return ["  (no agent has run)"]
    start = min(begin for _, begin, _ in spans)
    total = max((end - start).total_seconds() for _, _, end in spans) or 1e-9
    name_width = max(len(entry["agent_id"]) for entry in timeline)
    bars = {}
    for entry, begin, end in spans:
        left = int((begin - start).total_seconds() / total * width)
        length = max(1, round((end - begin).total_seconds() / total * width))
        bars[entry["agent_id"]] = (" " * left + "█" * min(length, width - left), f"{entry['duration_ms']} ms")
    lines = []
    for entry in timeline:
        bar, duration = bars.get(entry["agent_id"], ("", "-"))
        lines.append(f"  {entry['agent_id']:<{name_width}} |{bar:<{width}}| {duration}  {entry['status']}")
    return lines


def execution_report(
    execution: dict[str, Any], timeline: list[dict[str, Any]], logs: list[dict[str, Any]]
) -> str:
    """The outcome of an execution: status, deals and emails found in the outputs, metrics, timeline, logs."""
    lines = [f"Status: {execution['status']}"]
    if execution.get("error"):
        error = execution["error"]
        where = error.get("agent_id") or "workflow"
        lines.append(f"Error: {where}: {error.get('type', 'Error')}: {error.get('message')}")
    for run in execution["agent_executions"]:
        output = run.get("output")
        if not isinstance(output, dict):
            continue
        if isinstance(output.get("deals"), list):
            deals = output["deals"]
            lines += [
                "",
                f"Deals found by {run['agent_id']}: {len(deals)} "
                f"(total ${output.get('total_amount') or 0:,.0f})",
            ]
            for deal in deals[:5]:
                name = str(deal.get("name") or deal.get("id") or "")[:58]
                lines.append(
                    f"  {name:<58} ${deal.get('amount') or 0:>10,.0f}  "
                    f"closes {deal.get('close_date', '-')}  owner {deal.get('owner_name', '-')}"
                )
            if len(deals) > 5:
                lines.append(f"  … and {len(deals) - 5} more")
        if isinstance(output.get("emails"), list):
            emails = output["emails"]
            lines += [
                "",
                f"Emails sent by {run['agent_id']}: {output.get('emails_sent', len(emails))} "
                f"via {output.get('connector')}",
            ]
            cited = sum(1 for email in emails if email.get("citations"))
            if output.get("use_rag"):
                lines.append(f"  {cited} of {len(emails)} cite the tenant's documents (use_rag)")
            for number, email in enumerate(emails[:3]):
                body = [f"    {line}" for line in str(email.get("body", "")).splitlines() if line.strip()]
                lines += [
                    f"  To: {email.get('recipient_name', '')} <{email.get('recipient')}>   "
                    f"id {email.get('message_id')}",
                    f"  Subject: {email.get('subject')}",
                    *(body if number == 0 else body[:4]),  # the first email whole, citations included
                    "",
                ]
    metrics = execution["metrics"]
    lines += ["", "Metrics", f"  {'agent':<20} {'tokens':>8} {'cost':>10} {'duration':>10}"]
    for agent_id, figures in metrics["per_agent"].items():
        duration = f"{figures['duration_ms']} ms" if figures.get("duration_ms") is not None else "-"
        lines.append(f"  {agent_id:<20} {figures['tokens']:>8} ${figures['cost_usd']:>9.4f} {duration:>10}")
    total_duration = f"{metrics['duration_ms']} ms" if metrics.get("duration_ms") is not None else "-"
    lines.append(
        f"  {'total':<20} {metrics['total_tokens']:>8} ${metrics['total_cost_usd']:>9.4f} "
        f"{total_duration:>10}"
    )
    lines += ["", "Timeline", *gantt(timeline), "", "Logs (INFO and above)"]
    lines += [log_line(entry) for entry in logs if entry["level"] != "DEBUG"]
    return "\n".join(lines)


def log_line(entry: dict[str, Any], date: bool = False) -> str:
    """One execution log entry: time of day (with the date if asked), level, agent or component, message."""
    timestamp = entry["timestamp"]
    moment = timestamp[:23].replace("T", " ") if date else timestamp[11:23]
    source = entry.get("agent_id") or entry.get("component") or ""
    return f"  {moment} {entry['level']:<5} {source:<16} {entry['message']}"
