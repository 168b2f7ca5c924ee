"""The ``gitstore`` command's entry point.

``gitstore validate`` as a commit hook runs it (``--staged``, perhaps ``--strict``, no
terminal watching) is answered here without loading the command-line framework, which
costs more than a resumed check of a one-file change; its output, exit code and errors
are those of :mod:`gitstore.cli.validate` (``tests/test_launch.py`` compares them).
Everything else goes to :func:`gitstore.cli.main`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

QUICK_FLAGS = ("--staged", "--strict")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if _quick(args):
        return _validate_staged(strict="--strict" in args)
    from gitstore.cli import main as cli_main

    return cli_main(argv)


def run_guarded(action: Callable[[], int]) -> int:
    """Run a command's ``action`` and turn what it raises into the command's message and exit
    code: a GitstoreError as `gitstore: error: ...`, an interruption, a closed pipe, and any
    other exception (a bug) in one line, unless GITSTORE_DEBUG asks for the traceback."""
    import os

    from gitstore.errors import EXIT_USAGE, GitstoreError, error_text

    try:
        return action()
    except GitstoreError as exc:
        print(error_text(exc.message), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("gitstore: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        sys.stderr.close()
        return 1
    except Exception as exc:  # a bug: say so in one line unless asked for the traceback
        if os.environ.get("GITSTORE_DEBUG"):
            raise
        print(f"gitstore: internal error: {type(exc).__name__}: {exc} "
              "(set GITSTORE_DEBUG=1 for the traceback, and please report it)", file=sys.stderr)
        return EXIT_USAGE


def _quick(args: list[str]) -> bool:
    """``validate --staged [--strict]``, each flag once, with no terminal to show progress on
    (on a terminal the command shows progress for a long check)."""
    flags = args[1:]
    return (args[:1] == ["validate"] and "--staged" in flags and len(set(flags)) == len(flags)
            and all(flag in QUICK_FLAGS for flag in flags) and not sys.stderr.isatty())


def _validate_staged(strict: bool) -> int:
    return run_guarded(lambda: _check_index(strict))


def _check_index(strict: bool) -> int:
    from pathlib import Path

    from gitstore.errors import EXIT_OK, EXIT_PROBLEMS
    from gitstore.plumbing.sources import find_config_repo
    from gitstore.report import FORMATTERS
    from gitstore.validate import validate

    repo = find_config_repo(Path.cwd(), need_worktree_file=False)
    report = validate(repo.index())
    base = f"{repo.prefix}/" if repo.prefix else ""  # see gitstore.report for the path rule
    sys.stdout.write(FORMATTERS["text"](report, strict=strict, base=base))
    sys.stdout.flush()
    return EXIT_OK if report.ok(strict) else EXIT_PROBLEMS
