"""Problems are data: what validators yield, what reporters print.

A :class:`Problem` is a small frozen value. Every problem has a stable rule
code from :data:`RULES`, whose severity is fixed there too; ``--strict`` makes
warnings fail validation, it never changes their severity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

ERROR = "error"
WARNING = "warning"


class Rule(NamedTuple):
    code: str
    severity: str
    title: str


_RULES = [
    # reading a file
    Rule("GS001", ERROR, "YAML syntax error"),
    Rule("GS002", ERROR, "duplicate key"),
    Rule("GS003", ERROR, "anchors and aliases are not allowed"),
    Rule("GS004", ERROR, "tags are not allowed"),
    Rule("GS005", ERROR, "more than one YAML document"),
    Rule("GS006", ERROR, "file is not a YAML mapping"),
    Rule("GS007", ERROR, "file is not valid UTF-8"),
    Rule("GS008", ERROR, "merge-conflict markers"),
    Rule("GS009", ERROR, "nesting too deep"),
    Rule("GS010", ERROR, "file too large"),
    Rule("GS011", ERROR, "symbolic link"),
    Rule("GS012", ERROR, "unmerged or special entry"),
    # layout
    Rule("GS020", ERROR, "`.yml` file"),
    Rule("GS021", ERROR, "file in an unexpected place"),
    Rule("GS022", ERROR, "unknown component type folder"),
    Rule("GS023", ERROR, "invalid entity name"),
    Rule("GS024", ERROR, "names differ only in case"),
    # schemas
    Rule("GS101", ERROR, "value does not match the schema"),
    Rule("GS102", ERROR, "unknown key"),
    Rule("GS103", ERROR, "missing required key"),
    # integrity
    Rule("GS201", ERROR, "unknown flavor"),
    Rule("GS202", ERROR, "component config does not match its flavor"),
    Rule("GS203", ERROR, "stack uses a missing component"),
    Rule("GS204", ERROR, "stack lacks a required component type"),
    Rule("GS205", ERROR, "team member is not a user"),
    Rule("GS206", ERROR, "role assignee does not exist"),
    Rule("GS207", ERROR, "role assignment names a missing project"),
    Rule("GS208", ERROR, "default stack does not exist"),
    Rule("GS209", ERROR, "duplicate id"),
    Rule("GS210", WARNING, "custom flavor shadows a built-in flavor"),
    Rule("GS211", ERROR, "invalid flavor config_schema"),
    # secrets
    Rule("GS301", ERROR, "plain-text secret in a secret field"),
    Rule("GS302", WARNING, "value that looks like a plain-text secret"),
    # pipeline run records (gitstore validate --runs)
    Rule("GS401", ERROR, "run record does not match the run schema"),
    Rule("GS402", ERROR, "run record's configuration commit does not exist"),
    Rule("GS403", ERROR, "run record's stack did not exist at its configuration commit"),
    Rule("GS404", ERROR, "run record in an unexpected place"),
    Rule("GS405", ERROR, "run name index disagrees with the records"),
    Rule("GS406", ERROR, "run record's user or project did not exist at its configuration commit"),
    # trust: permissions, signatures, ownership
    Rule("GS501", ERROR, "change needs a permission its actor does not hold"),
    Rule("GS502", ERROR, "change by an actor who is not a gitstore user"),
    Rule("GS503", ERROR, "commit is not signed"),
    Rule("GS504", ERROR, "commit is not signed by the user it is attributed to"),
    Rule("GS511", WARNING, "change would need a permission its actor does not hold (not enforced)"),
    Rule("GS512", WARNING, "change by an actor who is not a gitstore user (not enforced)"),
    Rule("GS520", ERROR, "generated CODEOWNERS does not match the repository"),
]

RULES: dict[str, Rule] = {rule.code: rule for rule in _RULES}


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding, located in a file of the repository.

    ``path`` is relative to the repository root with forward slashes; ``line``
    and ``column`` are 1-based and ``None`` only where no position exists
    (a problem with a whole file, such as its name).
    """

    path: str
    line: int | None
    column: int | None
    code: str
    message: str
    hint: str | None = None

    @property
    def severity(self) -> str:
        return RULES[self.code].severity

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line or 0, self.column or 0, self.code, self.message)

    def to_tuple(self) -> tuple[str, int | None, int | None, str, str, str | None]:
        return (self.path, self.line, self.column, self.code, self.message, self.hint)


def did_you_mean(word: str, candidates: object) -> str | None:
    """The hint for a misspelt name, or None when nothing is close."""
    import difflib

    pool = sorted({str(c) for c in candidates})  # type: ignore[attr-defined]
    if not pool:
        return None
    match = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    if not match:
        lowered = {c.lower(): c for c in pool}
        if word.lower() in lowered:
            match = [lowered[word.lower()]]
    return f"did you mean `{match[0]}`?" if match else None
