"""Recording rules must not read themselves, directly or through others (a reads b reads a):
each would compute from the other's result of an earlier evaluation, so their values
depend on evaluation order and never come from the scraped series alone."""

from __future__ import annotations

from typing import Iterator

from sfmon.checks import Context
from sfmon.derive.recording_tests import read_names
from sfmon.problems import Problem


def check(ctx: Context) -> Iterator[Problem]:
    rules = ctx.spec.recording_rules
    first: dict[str, int] = {}
    for i, r in enumerate(rules):
        first.setdefault(r.record, i)
    reads: dict[str, set[str]] = {}
    for r in rules:  # a name several rules write reads what each of them reads
        reads.setdefault(r.record, set()).update(read_names(r.expr) & set(first))
    reported: set[frozenset[str]] = set()
    for start in first:
        # Depth-first from each rule, along the names it reads; a path back to `start` is a
        # cycle. Bounded: every name is visited once per start.
        stack, seen = [(start, (start,))], {start}
        while stack:
            name, path = stack.pop()
            for nxt in sorted(reads[name]):
                if nxt == start:
                    cycle = frozenset(path)
                    if cycle not in reported:
                        reported.add(cycle)
                        loop = " reads ".join((*path, start))
                        whose = "it from its own" if len(path) == 1 else "each from the others'"
                        yield ctx.problem(
                            ("recording_rules", first[start], "expr"),
                            f"recording rule cycle: {loop}; Prometheus would compute {whose} earlier result, "
                            "never from the scraped series alone",
                        )
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, (*path, nxt)))
