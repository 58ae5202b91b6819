"""Which promtool/amtool release is installed (`TOOL --version`, once per binary), and whether
it is the release the spec targets (`prometheus.version`, `alertmanager.version`)."""

from __future__ import annotations

import subprocess
from functools import cache
from typing import TYPE_CHECKING, Any, Callable, Sequence

from sfmon.problems import Problem, Severity
from sfmon.semantics.versions import Version, parse_version, reported_version
from sfmon.tools.runner import find

if TYPE_CHECKING:  # pragma: no cover
    from sfmon.model import Spec


@cache
def detect(path: str) -> Version | None:
    """The release of the binary at `path`; None when it cannot be run or does not say."""
    try:
        done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    # promtool prints its version on stdout, older builds on stderr.
    return reported_version(done.stdout + "\n" + done.stderr)


# (tool, spec section, product): whose version a spec's `<section>.version` names.
TARGETS = (("promtool", "prometheus", "Prometheus"), ("amtool", "alertmanager", "Alertmanager"))


def installed(tools: Sequence[str] = ("promtool", "amtool")) -> dict[str, Version | None]:
    """The release of each tool validate runs (SFMON_PROMTOOL / PATH, as the runner finds it)."""
    return {tool: detect(find(tool)) for tool in tools}


def target_problems(spec: Spec, where: Callable[[Sequence[Any]], tuple[str, int, int]]) -> list[Problem]:
    """A warning for each release the spec names that the installed tool is not (MAJOR.MINOR):
    the proofs ran on another release than the stack runs."""
    problems = []
    for tool, section, product in TARGETS:
        wanted = getattr(spec, section).version
        if wanted is None:
            continue
        target = parse_version(wanted)
        found = installed((tool,))[tool]
        assert target is not None  # the model validated it
        if found is not None and found[:2] == target[:2]:
            continue
        file, line, col = where((section, "version"))
        said = f"{tool} is {found}: the checks and tests proved the files for {found.major}.{found.minor}" if found else f"{tool} does not say its version"
        problems.append(
            Problem(file, line, col, f"{tool}/version", Severity.WARNING,
                    f"{section}.version: the spec targets {product} {wanted} but {said} "
                    f"(SFMON_{tool.upper()} names the {tool} to use)")
        )
    return problems
