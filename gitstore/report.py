"""Reporters: a validation report as compiler-style text, JSON or GitHub annotations."""

from __future__ import annotations

import json
from collections.abc import Callable

from gitstore.problems import WARNING, Problem
from gitstore.validate import Report


def _location(p: Problem) -> str:
    if p.line is None:
        return p.path
    return f"{p.path}:{p.line}:{p.column}"


def format_text(report: Report, strict: bool = False) -> str:
    lines = []
    for p in report.problems:
        severity = " warning:" if p.severity == WARNING else ""
        lines.append(f"{_location(p)}: {p.code}{severity} {p.message}")
        if p.hint:
            lines.append(f"    hint: {p.hint}")
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


def format_json(report: Report, strict: bool = False) -> str:
    body = {
        "valid": report.ok(strict),
        "problems": [
            {"path": p.path, "line": p.line, "column": p.column, "severity": p.severity,
             "code": p.code, "message": p.message, "hint": p.hint}
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
        props = [f"file={_escape_property(base + p.path)}"]
        if p.line is not None:
            props += [f"line={p.line}", f"col={p.column}"]
        props.append(f"title={_escape_property(p.code)}")
        text = p.message + (f" ({p.hint})" if p.hint else "")
        level = "warning" if p.severity == WARNING else "error"
        lines.append(f"::{level} {','.join(props)}::{_escape_data(f'{p.code} {text}')}")
    lines.append(summary(report, strict))
    return "\n".join(lines) + "\n"


def format_sarif(report: Report, strict: bool = False, base: str = "") -> str:
    from gitstore.sarif import format_sarif as sarif

    return sarif(report, strict=strict, base=base)


FORMATTERS: dict[str, Callable[..., str]] = {
    "text": format_text,
    "json": format_json,
    "github": format_github,
    "sarif": format_sarif,
}
