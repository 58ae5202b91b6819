"""Entry point. `--version` answers before typer, pydantic or jinja2 are imported."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] in (["--version"], ["-V"]):
        from sfmon import __version__

        print(f"sfmon {__version__}")
        return
    from sfmon.cli import app

    app()


if __name__ == "__main__":
    main()
