"""The ``gitstore`` command: a thin click layer over the core.

Subcommands are imported only when they run, so ``gitstore validate`` pays
for nothing the library or the hooks need. Every :class:`GitstoreError`
becomes one line on stderr and its exit code: 0 success, 1 problems found,
2 usage error or not a configuration repository.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import click

from gitstore import __version__
from gitstore.errors import EXIT_USAGE
from gitstore.launch import run_guarded

# command name -> "module:attribute"
COMMANDS = {
    # core
    "validate": "gitstore.cli.validate:validate",
    "schema": "gitstore.cli.schema:schema",
    "init": "gitstore.cli.init:init",
    "explain": "gitstore.cli.explain:explain",
    # entities from the shell
    "list": "gitstore.cli.entities:list_",
    "show": "gitstore.cli.entities:show",
    "mv": "gitstore.cli.mv:mv",
    "fmt": "gitstore.cli.fmt:fmt",
    # enforcement and review
    "hooks": "gitstore.cli.hooks:hooks",
    "diff": "gitstore.cli.diff:diff",
    "graph": "gitstore.cli.graph:graph",
    "site": "gitstore.cli.site:site",
    # pipeline runs and remotes
    "run": "gitstore.cli.runs:run",
    "runs": "gitstore.cli.runs:runs",
    # moving in and out
    "import": "gitstore.cli.migrate:import_",
    "export": "gitstore.cli.migrate:export",
    # trust
    "check-permissions": "gitstore.cli.trust:check_permissions",
    "codeowners": "gitstore.cli.trust:codeowners",
    "who-can": "gitstore.cli.trust:who_can",
    "log": "gitstore.cli.trust:log",
    # editors
    "lsp": "gitstore.cli.lsp:lsp",
    # shared server
    "serve": "gitstore.cli.serve:serve",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        from importlib.util import find_spec

        return sorted(name for name, target in COMMANDS.items()
                      if find_spec(target.partition(":")[0]) is not None)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None or cmd_name not in self.list_commands(ctx):
            return None
        module, _, attr = target.partition(":")
        command: click.Command = getattr(importlib.import_module(module), attr)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-C", "directory", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Run as if gitstore was started in this directory.")
@click.version_option(__version__, prog_name="gitstore")
@click.pass_context
def cli(ctx: click.Context, directory: Path | None) -> None:
    """Keep an ML platform's configuration in a git repository.

    Exit codes: 0 success, 1 problems found, 2 usage error or not a
    configuration repository.
    """
    if directory is not None and not directory.is_dir():
        raise click.BadParameter(f"{directory} is not a directory", param_hint="-C")
    ctx.obj = {"cwd": directory or Path.cwd()}


def start_dir(ctx: click.Context, path: Path | None = None) -> Path:
    """The directory a command acts on: PATH if given (relative to -C), else -C, else the cwd."""
    base: Path = ctx.obj["cwd"]
    return base / path if path is not None else base


def _one_line_usage_error(exc: click.ClickException) -> str:
    """A click error as one line, pointing at the help of the command that was run."""
    message = exc.format_message().replace("\n", " ").rstrip(".")
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        message += f" (see `{ctx.command_path} --help`)"
    return message


def main(argv: list[str] | None = None) -> int:
    return run_guarded(lambda: _run(argv))


def _run(argv: list[str] | None) -> int:
    try:
        result: Any = cli.main(args=argv, prog_name="gitstore", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `gitstore`: the help, as it is
            click.echo(exc.format_message(), err=True)
        else:
            click.echo(f"gitstore: error: {_one_line_usage_error(exc)}", err=True)
        return EXIT_USAGE
    except click.Abort:
        click.echo("gitstore: aborted", err=True)
        return 130
    return result if isinstance(result, int) else 0
