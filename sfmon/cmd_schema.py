"""`sfmon schema`: print (or write) the spec's JSON Schema, generated from the models."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from sfmon.cli import EPILOG, app


@app.command(
    epilog="Examples:\n\n  sfmon schema\n\n  sfmon schema --output schema/sfmon.schema.json   # what `make schema` runs\n\n"
    "Editors find it through the spec's first line:\n\n"
    "  # yaml-language-server: $schema=../schema/sfmon.schema.json\n\n" + EPILOG,
)
def schema(
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
    import os
    import tempfile

    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    typer.echo(f"wrote {output}", err=True)
