"""Reporters: a validation report as compiler-style text, JSON or GitHub annotations.

Paths follow one rule. A problem's ``path`` is relative to the configuration's
folder; ``base`` is that folder's path from the git repository's root
(``"platform/"``, or ``""`` when the configuration is the whole repository).
Text, for a person working in the configuration, prints ``path``. The formats
read by tools that open files from the checkout's root (``github``, ``sarif``; ``json``,
which GitLab Code Quality and the like consume) print the path from the
repository's root; ``json`` also gives ``config_path`` and the folder itself,
``root``. Run-record problems (GS40x) name files on the runs branch, never in
the checkout, so they are never prefixed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from gitstore.problems import WARNING, Problem
from gitstore.validate import Report

if TYPE_CHECKING:
    from gitstore.plumbing.sources import Source


def repo_path(p: Problem, base: str) -> str:
    """The problem's file from the git repository's root (run records: as they are)."""
    return p.path if p.code.startswith("GS40") else base + p.path


def _location(p: Problem) -> str:
    if p.line is None:
        return p.path
    return f"{p.path}:{p.line}:{p.column}"


def problem_lines(p: Problem, severity: str | None = None) -> list[str]:
    """A problem as gitstore prints it everywhere (the CLI, the pre-receive hook, the
    message of IntegrityError): ``path:line:col: CODE message``, ``warning:`` after the
    code for a warning, then ``    hint: ...`` when it has one. ``severity`` overrides the
    rule's (the hook shows errors a branch already had as warnings)."""
    tag = " warning:" if (severity or p.severity) == WARNING else ""
    lines = [f"{_location(p)}: {p.code}{tag} {p.message}"]
    if p.hint:
        lines.append(f"    hint: {p.hint}")
    return lines


def format_text(report: Report, strict: bool = False, base: str = "") -> str:
    lines = [line for p in report.problems for line in problem_lines(p)]
    lines.append(summary(report, strict))
    return "\n".join(lines) + "\n"


def summary(report: Report, strict: bool = False) -> str:
    files = f"{report.files} file{'s' if report.files != 1 else ''}"
    if not report.problems:
        return f"ok: {files} checked in the {report.label}, no problems"
    parts = []
    if report.errors:
        parts.append(f"{report.errors} error{'s' if report.errors != 1 else ''}")
    if report.warnings:
        parts.append(f"{report.warnings} warning{'s' if report.warnings != 1 else ''}")
    verdict = "ok" if report.ok(strict) else "failed"
    return f"{verdict}: {', '.join(parts)} in {files} checked in the {report.label}"


def format_json(report: Report, strict: bool = False, base: str = "") -> str:
    body = {
        "valid": report.ok(strict),
        "root": base.rstrip("/"),
        "problems": [
            {"path": repo_path(p, base), "config_path": p.path, "line": p.line,
             "column": p.column, "severity": p.severity, "code": p.code, "message": p.message,
             "hint": p.hint}
            for p in report.problems
        ],
    }
    return json.dumps(body, indent=2) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(report: Report, strict: bool = False, base: str = "") -> str:
    """GitHub Actions workflow commands; ``base`` prefixes paths when the
    configuration repository sits below the checkout's root."""
    lines = []
    for p in report.problems:
        props = [f"file={_escape_property(repo_path(p, base))}"]
        if p.line is not None:
            props += [f"line={p.line}", f"col={p.column}"]
        props.append(f"title={_escape_property(p.code)}")
        text = p.message + (f" ({p.hint})" if p.hint else "")
        level = "warning" if p.severity == WARNING else "error"
        lines.append(f"::{level} {','.join(props)}::{_escape_data(f'{p.code} {text}')}")
    lines.append(summary(report, strict))
    return "\n".join(lines) + "\n"


def format_sarif(report: Report, strict: bool = False, base: str = "",
                 source: Source | None = None) -> str:
    from gitstore.sarif import format_sarif as sarif

    return sarif(report, strict=strict, base=base, source=source)


FORMATTERS: dict[str, Callable[..., str]] = {
    "text": format_text,
    "json": format_json,
    "github": format_github,
    "sarif": format_sarif,
}
