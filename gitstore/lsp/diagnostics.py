"""Problems as LSP diagnostics: the same code, severity and position as ``gitstore validate``."""

from __future__ import annotations

from lsprotocol import types as lsp

from gitstore.lsp.text import token_span
from gitstore.problems import ERROR, Problem

_SEVERITY = {ERROR: lsp.DiagnosticSeverity.Error}


def to_diagnostic(problem: Problem, lines: list[str]) -> lsp.Diagnostic:
    """A problem at its 1-based line and column; the range covers the word written there
    (a problem with the whole file sits at its start)."""
    line = (problem.line or 1) - 1
    column = (problem.column or 1) - 1
    text = lines[line] if line < len(lines) else ""
    if problem.line is None:
        start, end = 0, 0
    else:
        start = column
        _, end, _ = token_span(text, column)
        end = max(end + (1 if text[column:column + 1] in ("'", '"') else 0), start)
        if end == start:
            end = min(len(text), start + 1) if len(text) > start else start
    message = problem.message + (f"\n{problem.hint}" if problem.hint else "")
    return lsp.Diagnostic(
        range=lsp.Range(lsp.Position(line, start), lsp.Position(line, end)),
        message=message,
        severity=_SEVERITY.get(problem.severity, lsp.DiagnosticSeverity.Warning),
        code=problem.code,
        source="gitstore",
        data={"hint": problem.hint},
    )
