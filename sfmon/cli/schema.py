"""`sfmon schema`: print (or write) the spec's JSON Schema, generated from the models."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from sfmon.cli.output import error as output_error
from sfmon.cli.options import EXIT_PROBLEMS, examples

EPILOG = examples(
    "sfmon schema",
    "sfmon schema --output schema/sfmon.schema.json   # what `make schema` runs",
    note="Editors find it through the spec's first line:\n\n  # yaml-language-server: $schema=../schema/sfmon.schema.json",
)


def command(
    output: Annotated[
        Optional[Path], typer.Option("--output", "-o", help="Write to this file (atomically) instead of stdout.", dir_okay=False)
    ] = None,
) -> None:
    """Print the JSON Schema (draft 2020-12) of the spec, for editors and other tools."""
    from sfmon.spec.jsonschema import schema_text

    text = schema_text()
    if output is None:
        typer.echo(text, nl=False)
        return
    from sfmon.write.writer import write_file

    try:
        write_file(output, text)
    except OSError as exc:
        raise output_error(f"cannot write {output}: {exc.strerror or exc}", EXIT_PROBLEMS)
    typer.echo(f"wrote {output}", err=True)
