"""An alert's rules and levels, computed once per alert object.

A run asks each alert for them about ten times (rule groups, rule tests, route and message
cases, three checks): 20,000 rebuilds at 5,000 alerts. The alert models are frozen, so the
answer cannot change; it is kept in the instance's own `__dict__` (pydantic reads fields by
name and ignores the entry in dumps, equality and hashing) and dies with the object.

`model_copy` copies `__dict__`, and derive.links copies alerts with a changed annotation:
so the entry records which object computed it, and a copy recomputes its own.
"""

from __future__ import annotations

from functools import wraps
from typing import Any, Callable

_KEY = "_sfmon_memo"


def per_object(method: Callable[[Any], list[Any]]) -> Callable[[Any], list[Any]]:
    """`method(self)` once per object; each call returns a new list of the same items."""
    name = method.__name__

    @wraps(method)
    def memoized(self: Any) -> list[Any]:
        owner, memo = self.__dict__.get(_KEY, (None, None))
        if owner != id(self):  # none yet, or copied from the object model_copy read
            owner, memo = id(self), {}
            self.__dict__[_KEY] = (owner, memo)
        if name not in memo:
            memo[name] = tuple(method(self))
        return list(memo[name])

    memoized.__sfmon_memo__ = True  # type: ignore[attr-defined]
    return memoized
