"""Local firing of EventBridge Scheduler schedules: moto stores them but never fires them.

The loop reads the schedules from the (moto) Scheduler API, works out which fire times fell due
since it last looked — cron, rate and at, in each schedule's timezone — and invokes each
schedule's target with its input, the scheduled time filled in as EventBridge Scheduler does.
It also fires the template's own ``Schedule`` events (the status function's minute repair), which
deployed are EventBridge rules. Tests drive it with :meth:`LocalScheduler.tick` and a clock of their own.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from agentflow.clock import isoformat, utcnow
from agentflow.local.runtime import FunctionFailedError, InProcessLambdas
from agentflow.observability import logger
from agentflow.schedule_expressions import next_fire, parse_expression
from agentflow.services.schedules import SCHEDULED_TIME


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class LocalScheduler:
    def __init__(
        self,
        scheduler_client: Any,
        lambdas: InProcessLambdas,
        clock: Callable[[], datetime] = utcnow,
        start: datetime | None = None,
        rules: list[tuple[str, str, Any]] | None = None,
    ) -> None:
        self.scheduler = scheduler_client
        self.lambdas = lambdas
        self.clock = clock
        # (function name, expression, input) of the stack's own scheduled rules (template.yaml).
        self.rules = rules or []
        # Like EventBridge Scheduler, nothing is back-filled from before the loop started.
        self.start_time = _utc(start or clock())
        self._seen: dict[str, datetime] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _schedules(self) -> list[dict[str, Any]]:
        found = []
        for group in self.scheduler.list_schedule_groups()["ScheduleGroups"]:
            summaries = self.scheduler.list_schedules(GroupName=group["Name"])["Schedules"]
            for summary in summaries:
                found.append(self.scheduler.get_schedule(Name=summary["Name"], GroupName=group["Name"]))
        return found

    def tick(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """Fire every delivery due up to ``now``; returns what each target answered."""
        now = _utc(now or self.clock())
        results = []
        for schedule in self._schedules():
            key = f"{schedule.get('GroupName')}/{schedule['Name']}"
            changed = _utc(schedule.get("LastModificationDate") or schedule.get("CreationDate") or now)
            since = max(self._seen.get(key, changed), changed, self.start_time)
            self._seen[key] = now
            if schedule.get("State") != "ENABLED":
                continue
            expression = parse_expression(schedule["ScheduleExpression"])
            timezone = schedule.get("ScheduleExpressionTimezone") or "UTC"
            due = next_fire(expression, timezone, since, anchor=changed)
            while due is not None and due <= now:
                results.append(self._deliver(schedule, due))
                due = next_fire(expression, timezone, due, anchor=changed)
        for function_name, text, payload in self.rules:
            key = f"rule/{function_name}/{text}"
            since = self._seen.get(key, self.start_time)
            self._seen[key] = now
            due = next_fire(parse_expression(text), "UTC", since, anchor=self.start_time)
            if due is not None and due <= now:  # a rule that fell behind fires once, as EventBridge does
                results.append(self._fire_rule(function_name, payload, due))
        return results

    def _fire_rule(self, function_name: str, payload: Any, scheduled: datetime) -> dict[str, Any]:
        try:
            answer = self.lambdas.call(function_name, payload)
        except FunctionFailedError as failure:
            logger.error(
                "Scheduled rule target failed", extra={"function": function_name, **failure.envelope}
            )
            answer = {"error": failure.envelope["errorMessage"]}
        return {"rule": function_name, "scheduled_time": isoformat(scheduled), "result": answer}

    def _deliver(self, schedule: dict[str, Any], scheduled: datetime) -> dict[str, Any]:
        target = schedule["Target"]
        payload = json.loads(target.get("Input", "{}").replace(SCHEDULED_TIME, isoformat(scheduled)))
        function_name = target["Arn"].rsplit(":", 1)[-1]
        try:
            answer = self.lambdas.call(function_name, payload)
        except FunctionFailedError as failure:
            logger.error("Schedule target failed", extra={"schedule": schedule["Name"], **failure.envelope})
            answer = {"error": failure.envelope["errorMessage"]}
        return {"schedule": schedule["Name"], "scheduled_time": isoformat(scheduled), "result": answer}

    def start(self, interval_seconds: float = 1.0) -> LocalScheduler:
        """Tick in a background thread until :meth:`stop`."""

        def loop() -> None:
            while not self._stop.wait(interval_seconds):
                try:
                    self.tick()
                except Exception:
                    logger.exception("Local scheduler tick failed")

        self._thread = threading.Thread(target=loop, name="agentflow-local-scheduler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
