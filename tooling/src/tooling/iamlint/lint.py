"""Parliament's findings on each document, and the allow-list that justifies some of them.

Parliament reads a document from its JSON text and places each finding at a line. Each document is
laid out one statement per block (``json.dumps(indent=2)``), so a finding's line tells its statement,
and an allow-list entry can excuse one statement (by its Sid) rather than a whole policy. Findings
parliament places nowhere (a policy-wide finding, the community auditors') belong to no statement.

An allow-list entry (``allowed.yaml``) has ``policy``, a pattern on the document's name (the resource
address and attribute, ``*`` matching anything, brackets and quotes taken literally), ``finding``, an
issue code of parliament or of this tool, ``reason``, and optionally ``statement``, a Sid.
"""

from __future__ import annotations

import functools
import json
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from tooling.iamlint.extract import Attachment, Document

with warnings.catch_warnings():
    # parliament 1.6.4 finds its data files with pkg_resources, which setuptools deprecates (and
    # removes from 81 on: requirements/dev.txt pins an earlier one).
    warnings.simplefilter("ignore", UserWarning)
    import parliament

ALLOW_LIST = Path(__file__).with_name("allowed.yaml")
# This tool's own issues, beside parliament's.
OWN_ISSUES = {
    "UNRENDERED": "the plan does not know the document (it names resources not yet created): lint a plan with "
    "known values, as python -m tooling.iamlint renders the local root",
    "AWS_MANAGED_POLICY": "an AWS managed policy is attached: its permissions are AWS's to widen and rarely "
    "scoped (the Lambda execution-role policies write logs to every log group)",
}
ALLOWANCE_KEYS = {"policy", "finding", "statement", "reason"}


class AllowListError(Exception):
    """The allow-list cannot be read; the message says which entry and why."""


@functools.cache
def _parliament() -> ModuleType:
    """parliament, with the community auditors' issues known to its configuration (done once)."""
    parliament.override_config(Path(parliament.__file__).parent / "community_auditors" / "config_override.yaml")
    module: ModuleType = parliament
    return module


def known_issues() -> set[str]:
    return set(_parliament().config) | set(OWN_ISSUES)


@dataclass(frozen=True)
class Finding:
    policy: str  # the document's name (extract.Document.name) or the attachment's address
    issue: str
    severity: str
    statement: str | None  # the Sid of the statement parliament places it in, when it has one
    detail: str

    def __str__(self) -> str:
        where = f" [{self.statement}]" if self.statement else ""
        return f"{self.policy}{where}: {self.issue} ({self.severity}) {self.detail}"


@dataclass(frozen=True)
class Allowance:
    policy: str
    finding: str
    reason: str
    statement: str | None = None

    def matches(self, finding: Finding) -> bool:
        pattern = ".*".join(re.escape(part) for part in self.policy.split("*"))
        return (
            self.finding == finding.issue
            and re.fullmatch(pattern, finding.policy) is not None
            and (self.statement is None or self.statement == finding.statement)
        )


@dataclass(frozen=True)
class Verdict:
    findings: list[Finding]
    unjustified: list[Finding]
    justified: dict[Allowance, list[Finding]] = field(default_factory=dict)
    unused: list[Allowance] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.unjustified and not self.unused


def _layout(document: Mapping[str, Any]) -> tuple[str, list[tuple[int, int, str | None]]]:
    """The document one statement per block, and each statement's first and last line and Sid."""
    statements = document.get("Statement")
    listed = statements if isinstance(statements, list) else [statements]
    text = json.dumps({**document, "Statement": listed}, indent=2)
    spans: list[tuple[int, int, str | None]] = []
    start = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if line == "    {":
            start = number
        elif line in ("    }", "    },") and start:
            statement = listed[len(spans)]
            sid = statement.get("Sid") if isinstance(statement, Mapping) else None
            spans.append((start, number, sid if isinstance(sid, str) else None))
            start = 0
    return text, spans


def _statement(location: Any, spans: Sequence[tuple[int, int, str | None]]) -> str | None:
    line = location.get("line", location.get("lineno")) if isinstance(location, Mapping) else None
    if not isinstance(line, int):
        return None
    return next((sid for first, last, sid in spans if first <= line <= last), None)


def lint_document(document: Document) -> list[Finding]:
    """Parliament's findings on one document (with its community auditors), or UNRENDERED."""
    if document.text is None:
        return [Finding(document.name, "UNRENDERED", "HIGH", None, OWN_ISSUES["UNRENDERED"])]
    parliament = _parliament()
    text, spans = _layout(json.loads(document.text))
    analysed = parliament.analyze_policy_string(text, include_community_auditors=True)
    found = []
    for raw in analysed.findings:
        finding = parliament.enhance_finding(raw)
        detail = finding.detail if isinstance(finding.detail, str) else json.dumps(finding.detail, default=str)
        if not detail and isinstance(finding.location, Mapping) and finding.location.get("actions"):
            # The community auditors name the actions in the location instead.
            detail = json.dumps(sorted(finding.location["actions"]))
        found.append(
            Finding(document.name, finding.issue, finding.severity, _statement(finding.location, spans), detail)
        )
    return found


def lint_attachment(attachment: Attachment) -> list[Finding]:
    if not attachment.aws_managed:
        return []
    detail = f"role {attachment.role} attaches {attachment.policy_arn}: {OWN_ISSUES['AWS_MANAGED_POLICY']}"
    return [Finding(attachment.address, "AWS_MANAGED_POLICY", "MEDIUM", None, detail)]


def load_allow_list(path: Path = ALLOW_LIST) -> list[Allowance]:
    """The entries of ``path``; AllowListError on an entry without a reason or with an unknown finding."""
    entries = yaml.safe_load(path.read_text()) or []
    if not isinstance(entries, list):
        raise AllowListError(f"{path}: a list of entries is expected")
    issues = known_issues()
    allowances = []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or not {"policy", "finding", "reason"} <= set(entry) <= ALLOWANCE_KEYS:
            raise AllowListError(f"{path}: entry {number} must have policy, finding, reason (and maybe statement)")
        if not all(isinstance(entry[key], str) and entry[key].strip() for key in entry):
            raise AllowListError(f"{path}: entry {number}: every value must be a non-empty string")
        if entry["finding"] not in issues:
            raise AllowListError(
                f"{path}: entry {number}: {entry['finding']!r} is no finding parliament or this tool reports"
            )
        allowances.append(
            Allowance(entry["policy"], entry["finding"], " ".join(entry["reason"].split()), entry.get("statement"))
        )
    return allowances


def judge(findings: Iterable[Finding], allowances: Sequence[Allowance]) -> Verdict:
    """Which findings the allow-list justifies (the first entry that matches), and which entries are unused."""
    listed = list(findings)
    justified: dict[Allowance, list[Finding]] = {allowance: [] for allowance in allowances}
    unjustified = []
    for finding in listed:
        allowance = next((a for a in allowances if a.matches(finding)), None)
        if allowance is None:
            unjustified.append(finding)
        else:
            justified[allowance].append(finding)
    return Verdict(
        findings=listed,
        unjustified=unjustified,
        justified={a: f for a, f in justified.items() if f},
        unused=[a for a, f in justified.items() if not f],
    )
