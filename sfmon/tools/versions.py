"""Which promtool/amtool release is installed: `TOOL --version`, once per binary."""

from __future__ import annotations

import subprocess
from functools import cache

from sfmon.semantics.versions import Version, reported_version


@cache
def detect(path: str) -> Version | None:
    """The release of the binary at `path`; None when it cannot be run or does not say."""
    try:
        done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    # promtool prints its version on stdout, older builds on stderr.
    return reported_version(done.stdout + "\n" + done.stderr)
