"""``gitstore validate --format sarif``: SARIF 2.1.0 for code-scanning tools.

What GitHub code scanning reads: one run whose driver lists every rule
(stable ``id``, short and full description, help text from the rule
catalogue, default level), results with a ``ruleId``, a located message,
``partialFingerprints`` that survive lines moving, and ``relatedLocations``
naming the other file of a cross-file problem, each with a region: the key
the problem points at in that file when it has one (the other file's ``id``
of a duplicate id, the ``required_components`` a stack lacks), else line 1
(a whole file, or the file a missing entity would have). At most :data:`MAX_RESULTS`
results are written (GitHub keeps no more); when there are more, a
notification says how many were left out.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import TYPE_CHECKING, Any

from gitstore import __version__
from gitstore.problems import RULES, WARNING, Problem
from gitstore.report import repo_path
from gitstore.validate import Report

if TYPE_CHECKING:
    from gitstore.plumbing.sources import Source
    from gitstore.plumbing.yamlio import Positions

MAX_RESULTS = 5000
SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT = "gitstoreProblem/v1"
_OTHER_FILE = re.compile(
    r"(?<![\w/.-])((?:flavors|components|stacks|users|teams|roles|projects)/[A-Za-z0-9._/-]+\.yaml"
    r"|gitstore\.yaml|CODEOWNERS)(?![\w/])")
# rule -> the key of the other file that a problem's related location points at
RELATED_KEYS: dict[str, tuple[str, ...]] = {"GS209": ("id",), "GS204": ("required_components",)}


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


def _related_positions(problems: list[Problem], source: Source | None) -> dict[str, Positions]:
    """The positions of the keys of each related file that ``source`` holds and that parses."""
    from gitstore.plumbing.yamlio import Parsed, read_document

    wanted = {path for p in problems if p.code in RELATED_KEYS for path in related_paths(p)}
    if source is None or not wanted:
        return {}
    entries = [e for e in source.entries() if e.path in wanted and e.is_file]
    found = {}
    for path, raw in source.read(entries).items():
        parsed = read_document(path, raw)
        if isinstance(parsed, Parsed):
            found[path] = parsed.positions
    return found


def _related_region(p: Problem, path: str, positions: dict[str, Positions]) -> tuple[int, int]:
    """Line and column of what ``p`` points at in ``path``: its key when known, else line 1."""
    from gitstore.plumbing.yamlio import locate

    key, known = RELATED_KEYS.get(p.code), positions.get(path)
    if key is None or known is None:
        return (1, 1)
    return locate(known, key, key=True)


def _result(p: Problem, index: dict[str, int], base: str, positions: dict[str, Positions]
            ) -> dict[str, Any]:
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
    paths = related_paths(p)
    if paths:
        result["relatedLocations"] = [
            {"id": n, **_location(prefix + path, *_related_region(p, path, positions)),
             "message": {"text": f"the other file: {path}"}}
            for n, path in enumerate(paths, 1)
        ]
        # viewers (GitHub code scanning among them) show a related location when the
        # message links to it: "[text](id)", with the message's own brackets escaped
        links = ", ".join(f"[{_escaped(path)}]({n})" for n, path in enumerate(paths, 1))
        result["message"] = {"text": f"{_escaped(text)} (see {links})"}
    return result


def _escaped(text: str) -> str:
    """``text`` as literal text of a SARIF message that holds links."""
    return text.replace("[", "\\[").replace("]", "\\]")


def format_sarif(report: Report, strict: bool = False, base: str = "",
                 source: Source | None = None) -> str:
    """The report as a SARIF 2.1.0 log; ``base`` prefixes paths (configuration in a subfolder).

    ``source``: what was validated, read again for the keys related locations point at
    (without it they point at line 1 of the other file).
    """
    rules = _rules()
    index = {r["id"]: n for n, r in enumerate(rules)}
    shown = report.problems[:MAX_RESULTS]
    positions = _related_positions(shown, source)
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
            "results": [_result(p, index, base, positions) for p in shown],
            "properties": {"valid": report.ok(strict), "problems": len(report.problems),
                           "label": report.label},
        }],
    }
    return json.dumps(log, indent=2) + "\n"
