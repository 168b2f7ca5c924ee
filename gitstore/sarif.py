"""``gitstore validate --format sarif``: SARIF 2.1.0 for code-scanning tools.

What GitHub code scanning reads: one run whose driver lists every rule
(stable ``id``, short and full description, help text from the rule
catalogue, default level), results with a ``ruleId``, a located message,
``partialFingerprints`` that survive lines moving, and ``relatedLocations``
naming the other file of a cross-file problem. At most :data:`MAX_RESULTS`
results are written (GitHub keeps no more); when there are more, a
notification says how many were left out.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from gitstore import __version__
from gitstore.problems import RULES, WARNING, Problem
from gitstore.report import repo_path
from gitstore.validate import Report

MAX_RESULTS = 5000
SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT = "gitstoreProblem/v1"
_OTHER_FILE = re.compile(
    r"(?<![\w/.-])((?:flavors|components|stacks|users|teams|roles|projects)/[A-Za-z0-9._/-]+\.yaml"
    r"|gitstore\.yaml|CODEOWNERS)(?![\w/])")


def _rules() -> list[dict[str, Any]]:
    from gitstore.explain import explain

    rules = []
    for rule in RULES.values():
        text = explain(rule.code)
        rules.append({
            "id": rule.code,
            "name": _camel(rule.title),
            "shortDescription": {"text": rule.title},
            "fullDescription": {"text": f"{rule.code}: {rule.title} ({rule.severity})"},
            "help": {"text": text, "markdown": text},
            "defaultConfiguration": {"level": _level(rule.severity)},
            "properties": {"tags": ["gitstore", "configuration"]},
        })
    return rules


def _camel(title: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", title)
    return "".join(w[:1].upper() + w[1:] for w in words) or "Rule"


def _level(severity: str) -> str:
    return "warning" if severity == WARNING else "error"


def _location(path: str, line: int | None, column: int | None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": path}}
    if line is not None:
        physical["region"] = {"startLine": line, "startColumn": column or 1}
    return {"physicalLocation": physical}


def fingerprint(p: Problem) -> str:
    """Stable across edits that move the problem's line: file, rule and message."""
    return hashlib.sha256(f"{p.path}\0{p.code}\0{p.message}".encode()).hexdigest()


def related_paths(p: Problem) -> list[str]:
    """The other files a problem's message or hint names (the far end of a reference)."""
    found: list[str] = []
    for text in (p.message, p.hint or ""):
        for path in _OTHER_FILE.findall(text):
            if path != p.path and path not in found:
                found.append(path)
    return found


def _result(p: Problem, index: dict[str, int], base: str) -> dict[str, Any]:
    text = p.message + (f" (hint: {p.hint})" if p.hint else "")
    result: dict[str, Any] = {
        "ruleId": p.code,
        "ruleIndex": index[p.code],
        "level": _level(p.severity),
        "message": {"text": text},
        "locations": [_location(repo_path(p, base), p.line, p.column)],
        "partialFingerprints": {FINGERPRINT: fingerprint(p)},
    }
    prefix = repo_path(p, base)[: -len(p.path)] if p.path else ""
    related = [
        {"id": n, **_location(prefix + path, None, None), "message": {"text": f"the other file: {path}"}}
        for n, path in enumerate(related_paths(p), 1)
    ]
    if related:
        result["relatedLocations"] = related
    return result


def format_sarif(report: Report, strict: bool = False, base: str = "") -> str:
    """The report as a SARIF 2.1.0 log; ``base`` prefixes paths (configuration in a subfolder)."""
    rules = _rules()
    index = {r["id"]: n for n, r in enumerate(rules)}
    shown = report.problems[:MAX_RESULTS]
    invocation: dict[str, Any] = {"executionSuccessful": True}
    left_out = len(report.problems) - len(shown)
    if left_out:
        invocation["toolExecutionNotifications"] = [{
            "level": "warning",
            "message": {"text": f"{left_out} more problem(s) not included: SARIF consumers keep at most "
                                f"{MAX_RESULTS} results; run `gitstore validate` for all of them"},
        }]
    log = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "gitstore", "version": __version__,
                                "semanticVersion": __version__, "rules": rules}},
            "invocations": [invocation],
            "results": [_result(p, index, base) for p in shown],
            "properties": {"valid": report.ok(strict), "problems": len(report.problems),
                           "label": report.label},
        }],
    }
    return json.dumps(log, indent=2) + "\n"
