"""The security scans `make test` runs: checkov on the deployed template, bandit on the code.

checkov reads template.yaml after SAM has translated it to plain CloudFormation (the same
translation `sam validate` and CloudFormation apply), so it sees the roles, policies and stages SAM
generates: checked on the SAM source, it misses a wildcard in a function's inline policy. Offline:
no policy download, no AWS call.

Findings that do not apply are suppressed in template.yaml itself, per resource, with a reason
(``Metadata: checkov: skip:``), and in the code with ``# nosec <test>`` next to the reason. Exits 1
when either tool reports a finding, and prints both tools' counts.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CODE = ["layers", "functions"]


class _NoManagedPolicies:
    """SAM asks for the account's managed policies only to resolve policies given by bare name;
    the template names them by ARN, so the scan needs (and makes) no IAM call."""

    def load(self) -> dict[str, str]:
        return {}


def translated_template(path: Path) -> dict[str, Any]:
    """template.yaml as the CloudFormation SAM turns it into (local code paths become S3 URIs)."""
    from samcli.lib.translate.sam_template_validator import SamTemplateValidator
    from samcli.yamlhelper import yaml_parse

    sam = yaml_parse(path.read_text())
    validator = SamTemplateValidator(sam, _NoManagedPolicies(), region="us-east-1")
    document: dict[str, Any] = yaml_parse(validator.get_translated_template_if_valid())
    _skip_on_stages(sam, document)
    return document


def _skip_on_stages(sam: dict[str, Any], document: dict[str, Any]) -> None:
    """SAM copies an ``AWS::Serverless::Api``'s Metadata to the RestApi only; its checkov skips
    belong to the stage it generates as well (stage settings are written on the SAM Api)."""
    resources = document["Resources"]
    for logical_id, resource in sam["Resources"].items():
        skips = (resource.get("Metadata") or {}).get("checkov")
        if resource.get("Type") != "AWS::Serverless::Api" or not skips:
            continue
        for generated in resources.values():
            if generated["Type"] == "AWS::ApiGateway::Stage" and generated["Properties"].get("RestApiId") == {
                "Ref": logical_id
            }:
                generated.setdefault("Metadata", {})["checkov"] = skips


def checkov(document: dict[str, Any]) -> dict[str, Any]:
    """checkov's JSON report on ``document`` (CloudFormation checks only, offline)."""
    with tempfile.TemporaryDirectory() as folder:
        template = Path(folder) / "template.json"
        template.write_text(json.dumps(document))
        command = [str(BIN / "checkov"), "-f", str(template), "--framework", "cloudformation"]
        shown = subprocess.run(  # noqa: S603 - our own tool on our own file
            [*command, "--skip-download", "--compact", "--output", "json"],
            capture_output=True,
            text=True,
            check=False,
        )
    if shown.returncode not in (0, 1):  # 1 means "findings", anything else is a crash
        raise SystemExit(f"checkov failed ({shown.returncode}): {shown.stderr.strip()[-2000:]}")
    report: dict[str, Any] = json.loads(shown.stdout)
    return report


def bandit() -> dict[str, Any]:
    """bandit's JSON report on the deployed code (all severities and confidences)."""
    shown = subprocess.run(  # noqa: S603 - our own tool on our own code
        [sys.executable, "-m", "bandit", "-r", *CODE, "--quiet", "--format", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if shown.returncode not in (0, 1):
        raise SystemExit(f"bandit failed ({shown.returncode}): {shown.stderr.strip()[-2000:]}")
    report: dict[str, Any] = json.loads(shown.stdout)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--template", type=Path, default=ROOT / "template.yaml")
    args = parser.parse_args(argv)

    template = checkov(translated_template(args.template))
    summary = template["summary"]
    failed = template["results"]["failed_checks"]
    print(
        f"checkov: {summary['passed']} passed, {summary['failed']} failed, "
        f"{summary['skipped']} skipped with a reason, on {summary['resource_count']} resources"
    )
    for check in failed:
        print(f"  {check['check_id']} {check['resource']}: {check['check_name']}")
    unexplained = [
        check
        for check in template["results"]["skipped_checks"]
        if not (check.get("check_result") or {}).get("suppress_comment", "").strip()
    ]
    for check in unexplained:
        print(f"  {check['check_id']} {check['resource']}: skipped without a reason")

    code = bandit()
    issues = code["results"]
    totals = code["metrics"]["_totals"]
    print(
        f"bandit: {len(issues)} issues in {totals['loc']:,} lines "
        f"({totals['skipped_tests']} findings marked # nosec with a reason)"
    )
    for issue in issues:
        print(
            f"  {issue['test_id']} {issue['filename']}:{issue['line_number']} "
            f"({issue['issue_severity'].lower()}): {issue['issue_text']}"
        )
    return 1 if failed or unexplained or issues else 0


if __name__ == "__main__":
    sys.exit(main())
