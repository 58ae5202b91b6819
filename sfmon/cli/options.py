"""What every command shares: exit codes, the epilog that documents them, common options."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from sfmon.reporters import REPORTERS

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_TOOL_MISSING = 0, 1, 2, 3

EPILOG = (
    "Exit codes: 0 clean, 1 problems found (invalid spec, failed validation, drift), "
    "2 usage error, 3 promtool/amtool missing."
)

# One choice per reporter, so a new reporter is a new --format value.
Format = Enum("Format", {name: name for name in REPORTERS}, type=str)  # type: ignore[misc]
TEXT = Format("text")

SpecOpt = Annotated[Path, typer.Option("--spec", "-s", help="Spec file.", dir_okay=False)]
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="Output directory.", file_okay=False)]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Problem report format.")]
SetOpt = Annotated[
    Optional[list[str]],
    typer.Option(
        "--set",
        metavar="PATH=VALUE",
        help="Override one spec value (YAML), after any --overlay; repeatable. "
        "E.g. prometheus.scrape_interval=5s, targets[api].addresses='[\"127.0.0.1:8000\"]'.",
    ),
]
# The HTTP client options of the commands that talk to a running stack (health, silences).
InsecureOpt = Annotated[bool, typer.Option("--insecure", help="Do not verify TLS certificates (self-signed test stacks).")]
PasswordFileOpt = Annotated[
    Optional[Path], typer.Option("--password-file", help="File holding the basic-auth password.", dir_okay=False)
]
OverlayOpt = Annotated[
    Optional[list[Path]],
    typer.Option("--overlay", metavar="<file>", help="YAML file deep-merged over the spec (named list items merge by name); repeatable.", dir_okay=False),
]
TemplatesOpt = Annotated[
    Optional[Path], typer.Option("--templates", help="Directory of templates overriding the built-in ones.", file_okay=False)
]



def basic_auth(user: str | None, password_file: Path | None) -> tuple[str, str] | None:
    """--user and --password-file as a (user, password) pair, or None without --user."""
    if not user:
        return None
    if password_file is None:
        raise typer.BadParameter("--user needs --password-file")
    try:
        return user, password_file.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {password_file}: {exc.strerror or exc}") from None

def examples(*lines: str, note: str = "") -> str:
    """A command's epilog: its examples, an optional note, then the exit codes."""
    shown = "".join(f"  {line}\n\n" for line in lines)
    return f"Examples:\n\n{shown}" + (f"{note}\n\n" if note else "") + EPILOG
