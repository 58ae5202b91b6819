"""The typer app, and the one list of its commands: each is a module of this package with
`command` (its options and help) and `EPILOG` (examples and exit codes)."""

from __future__ import annotations

from typing import Annotated

import typer

from sfmon.cli import diff, generate, health, schema, silences, validate
from sfmon.cli.options import EPILOG

COMMANDS = (generate, validate, diff, schema, health, silences)  # in --help order

app = typer.Typer(
    help="Generate a Prometheus / Alertmanager / Grafana stack from one spec, and prove it correct.",
    epilog=EPILOG,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        from sfmon import __version__

        typer.echo(f"sfmon {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version.")] = False,
) -> None:
    pass


for _module in COMMANDS:
    app.command(name=_module.__name__.rpartition(".")[2], epilog=_module.EPILOG)(_module.command)
