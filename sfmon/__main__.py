"""Entry point. `--version` answers before typer, pydantic or jinja2 are imported."""

from __future__ import annotations

import os
import sys


def main() -> None:
    if sys.argv[1:] in (["--version"], ["-V"]):
        from sfmon import __version__

        print(f"sfmon {__version__}")
        return
    import gc

    # A run allocates millions of objects that live to its end (models, rule tests, rendered
    # text) and makes few cycles: at the default threshold (700) the collector re-scanned
    # them for ~15% of a 5k-alert generate's CPU time.
    gc.set_threshold(100_000, 20, 10)
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
