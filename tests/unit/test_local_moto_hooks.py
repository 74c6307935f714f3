"""The local stack refuses a moto whose private hooks moved, naming the version it needs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from moto.awslambda.models import LambdaFunction
from moto.events.models import Rule

from agentflow.local.runtime import MOTO_VERSION, MotoHooksError, check_moto_hooks
from agentflow.local.stack import LocalStack

ROOT = Path(__file__).resolve().parents[2]


def test_the_pinned_moto_has_every_hook() -> None:
    check_moto_hooks()  # raises if the installed moto lacks one


def test_the_needed_version_is_the_one_pyproject_pins() -> None:
    pin = re.search(r'"moto\[[^\]]*\]==([\d.]+)"', (ROOT / "pyproject.toml").read_text())
    assert pin is not None and pin.group(1) == MOTO_VERSION


def test_a_missing_lambda_hook_names_it_and_the_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(LambdaFunction, "_invoke_lambda")
    with pytest.raises(MotoHooksError) as failure:
        check_moto_hooks()
    assert "moto.awslambda.models.LambdaFunction._invoke_lambda is missing" in str(failure.value)
    assert f"needs moto {MOTO_VERSION}" in str(failure.value)


def test_a_changed_signature_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def send_to_targets(self: object, payload: object) -> None: ...

    monkeypatch.setattr(Rule, "send_to_targets", send_to_targets)
    with pytest.raises(MotoHooksError, match=r"Rule.send_to_targets takes \(self, payload\)"):
        check_moto_hooks()


def test_the_local_stack_checks_before_starting_anything(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delattr(LambdaFunction, "_invoke_lambda")
    stack = LocalStack(data_dir=tmp_path / "data", mode="inprocess")
    with pytest.raises(MotoHooksError, match=MOTO_VERSION):
        stack.start()
    assert not (tmp_path / "data").exists()
