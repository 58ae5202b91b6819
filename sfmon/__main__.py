"""Entry point. `--version` answers before typer, pydantic or jinja2 are imported."""

from __future__ import annotations

import os
import sys


def main() -> None:
    if sys.argv[1:] in (["--version"], ["-V"]):
        from sfmon import __version__

        print(f"sfmon {__version__}")
        return
    from sfmon.cli.app import app

    try:
        app(standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # a bug in sfmon: say so in one line, never a traceback (SFMON_DEBUG=1 shows it)
        if os.environ.get("SFMON_DEBUG"):
            raise
        print(f"sfmon: internal error: {type(exc).__name__}: {exc} (set SFMON_DEBUG=1 for details)", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
