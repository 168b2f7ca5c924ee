"""The strict YAML 1.2 reader: values, positions, and what it refuses."""

from __future__ import annotations

import math
import time

import pytest

from gitstore.plumbing.yamlio import MAX_BYTES, Parsed, locate, read_document, resolve_plain
from gitstore.problems import Problem


@pytest.mark.parametrize(("text", "value"), [
    ("yes", "yes"), ("no", "no"), ("on", "on"), ("off", "off"), ("y", "y"), ("Yes", "Yes"),
    ("true", True), ("True", True), ("FALSE", False), ("tRue", "tRue"),
    ("null", None), ("~", None), ("", None), ("Null", None), ("nul", "nul"),
    ("0755", 755), ("0o755", 0o755), ("0x1F", 31), ("-12", -12), ("+3", 3), ("1_000", "1_000"),
    ("1.5", 1.5), ("-.5", -0.5), ("1e3", 1000.0), ("1.", 1.0), (".", "."), ("1.2.3", "1.2.3"),
    ("-", "-"), ("+", "+"), ("localhost:5000", "localhost:5000"), ("2026-01-01", "2026-01-01"),
    ("0b101", "0b101"), ("12:30", "12:30"),
])
def test_plain_scalars_follow_the_yaml_1_2_core_schema(text: str, value: object) -> None:
    got = resolve_plain(text)
    assert got == value and type(got) is type(value)


def test_infinity_and_nan() -> None:
    assert resolve_plain(".inf") == math.inf and resolve_plain("-.Inf") == -math.inf
    assert math.isnan(resolve_plain(".NaN"))


def parse(text: str | bytes) -> Parsed:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    result = read_document("f.yaml", raw)
    assert isinstance(result, Parsed), result
    return result


def refuse(text: str | bytes) -> tuple[str, int | None, int | None, str]:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    result = read_document("f.yaml", raw)
    assert isinstance(result, Problem), result
    return (result.code, result.line, result.column, result.message)


def test_values_keep_their_types_and_quotes() -> None:
    data = parse('a: "123"\nb: 123\nc: !!str 5\nd: yes\ne: {uri: localhost:5000}\nf: ! 7\n'
                 'g: |\n  two\n  lines\nh: >-\n  folded\n  text\n').data
    assert data == {"a": "123", "b": 123, "c": "5", "d": "yes", "e": {"uri": "localhost:5000"},
                    "f": "7", "g": "two\nlines\n", "h": "folded text"}


def test_positions_of_keys_and_values() -> None:
    parsed = parse("# comment\nconfig:\n  host: db\n  ports: [1, 2]\n")
    assert parsed.positions[()] == (1, 1, 2, 1)
    assert parsed.positions[("config",)] == (2, 1, 3, 3)
    assert parsed.positions[("config", "host")] == (3, 3, 3, 9)
    assert parsed.positions[("config", "ports", 1)] == (4, 14, 4, 14)
    assert locate(parsed.positions, ("config", "host"), key=True) == (3, 3)
    assert locate(parsed.positions, ("config", "missing", "deeper")) == (3, 3)


def test_bom_is_accepted_and_positions_stay_right() -> None:
    parsed = parse(b"\xef\xbb\xbfemail: a@b.c\n")
    assert parsed.data == {"email": "a@b.c"}
    assert parsed.positions[("email",)] == (1, 1, 1, 8)


def test_crlf_line_endings() -> None:
    parsed = parse(b"a: 1\r\nb: two\r\n")
    assert parsed.data == {"a": 1, "b": "two"}
    assert parsed.positions[("b",)] == (2, 1, 2, 4)


def test_empty_mapping_document() -> None:
    assert parse("{}\n").data == {}


@pytest.mark.parametrize(("text", "expected"), [
    ("a: [1\n", ("GS001", 2, 1, "did not find expected ',' or ']' "
                 "(while parsing a flow sequence that starts at line 1, column 4)")),
    ("a:\n\tb: 1\n", ("GS001", 2, 1, "tab character: found character that cannot start any token")),
    ("a: 1\na: 2\n", ("GS002", 2, 1, "duplicate key `a` (first defined at line 1)")),
    ("a: &x 1\n", ("GS003", 1, 4, "anchor `&x` is not allowed")),
    ("a: *x\n", ("GS003", 1, 4, "alias `*x` is not allowed")),
    ("<<: *x\n", ("GS003", 1, 5, "alias `*x` is not allowed")),
    ("? *x\n: 1\n", ("GS003", 1, 3, "alias `*x` is not allowed")),
    ("a: !!python/name:os.system\n", ("GS004", 1, 4, "tag `!!python/name:os.system` is not allowed")),
    ("a: !!int 3\n", ("GS004", 1, 4, "tag `!!int` is not allowed")),
    ("!!python/object:os.Foo {}\n", ("GS004", 1, 1, "tag `!!python/object:os.Foo` is not allowed")),
    ("a: 1\n---\na: 2\n", ("GS005", 2, 1, "more than one YAML document in this file")),
    ("", ("GS006", None, None, "file is empty")),
    ("\n\n", ("GS006", None, None, "file is empty")),
    ("~\n", ("GS006", 1, 1, "file must be a YAML mapping, not empty")),
    ("3\n", ("GS006", 1, 1, "file must be a YAML mapping, not a number")),
    ("true\n", ("GS006", 1, 1, "file must be a YAML mapping, not a boolean")),
    (b"a: \x80\n", ("GS007", 1, 4, "byte 0x80 is not valid UTF-8")),
    (b"\xff\xfea\x00:\x00", ("GS007", 1, 1, "byte 0xff is not valid UTF-8")),
    ("a: 1\n>>>>>>> theirs\n", ("GS008", 2, 1,
                               "merge-conflict marker: this file holds an unresolved merge conflict")),
    ("a: 1\n<<<<<<< ours\n||||||| base\n", ("GS008", 2, 1,
                                           "merge-conflict marker: this file holds an unresolved "
                                           "merge conflict")),
    ("a:\n" + "".join("  " * i + "- \n" for i in range(1, 70)), ("GS009", 65, 129,
                                                                 "nesting is deeper than 64 levels")),
    ("null: 1\n", ("GS001", 1, 1, "mapping key `null` is not a string")),
    ("1.5: x\n", ("GS001", 1, 1, "mapping key `1.5` is not a string")),
    ("[a]: x\n", ("GS001", 1, 1, "mapping keys must be plain strings")),
    ("a: {{ s.k }}\n", ("GS001", 1, 5, "mapping keys must be plain strings")),
    ("a: \x01\n", ("GS001", 1, 4, "control characters are not allowed")),
])
def test_refused_input(text: str | bytes, expected: tuple[str, int | None, int | None, str]) -> None:
    assert refuse(text) == expected


def test_conflict_marker_lookalikes_inside_values_are_fine() -> None:
    assert parse("a: |\n  =======\nb: '<<<<<<< x'\n").data == {"a": "=======\n", "b": "<<<<<<< x"}


def test_unquoted_secret_reference_gets_a_hint() -> None:
    result = read_document("f.yaml", b"password: {{ db.password }}\n")
    assert isinstance(result, Problem)
    assert result.hint == 'a secret reference must be quoted: "{{ <secret>.<key> }}"'


def test_billion_laughs_is_refused_at_the_first_anchor() -> None:
    bomb = "a0: &a0 [lol]\n" + "".join(
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]\n" for i in range(1, 30))
    started = time.perf_counter()
    assert refuse(bomb)[:3] == ("GS003", 1, 5)
    assert time.perf_counter() - started < 5  # a guard against expansion, not a benchmark


def test_very_long_flow_nesting_is_refused_without_recursion() -> None:
    assert refuse("a: " + "[" * 100_000 + "]" * 100_000 + "\n")[0] == "GS009"
    assert refuse("a: " + "{a: " * 10_000 + "}" * 10_000 + "\n")[0] == "GS009"


def test_files_over_the_limit_are_not_parsed() -> None:
    result = read_document("f.yaml", b"a: [" * (MAX_BYTES // 4 + 1))
    assert isinstance(result, Problem) and result.code == "GS010" and result.line is None
    assert parse("a: " + "x" * (MAX_BYTES - 10) + "\n").data["a"].startswith("xxx")
