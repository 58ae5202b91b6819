"""Run-time switches a drill flips over HTTP (POST /control): the faults the app injects."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, fields


@dataclass
class Faults:
    error_ratio: float = 0.0  # share of /api requests answered 500, spread evenly
    latency_ms: int = 0  # added to every /api request
    cache_miss_ratio: float = 0.1  # share of cache lookups that miss
    slow_query_ms: int = 0  # when > 0, every database query takes this long (as observed)
    healthy: bool = True  # /health answers 503 when False
    scheduled_jobs: int = 3


class Control:
    """Faults plus the counters that spread ratios evenly (every 20th request for 5%)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.faults = Faults()
        self._seen: dict[str, int] = {}

    def update(self, changes: dict) -> dict:
        names = {f.name: f.type for f in fields(Faults)}
        unknown = sorted(set(changes) - set(names))
        if unknown:
            raise ValueError(f"unknown switch(es) {', '.join(unknown)}; known: {', '.join(names)}")
        with self._lock:
            current = asdict(self.faults)
            for key, value in changes.items():
                kind = type(current[key])
                if kind is bool and not isinstance(value, bool) or kind is not bool and isinstance(value, bool):
                    raise ValueError(f"{key} must be {kind.__name__}")
                current[key] = kind(value)
            for ratio in ("error_ratio", "cache_miss_ratio"):
                if not 0 <= current[ratio] <= 1:
                    raise ValueError(f"{ratio} must be between 0 and 1")
            self.faults = Faults(**current)
            self._seen.clear()
            return asdict(self.faults)

    def state(self) -> dict:
        with self._lock:
            return asdict(self.faults)

    def hit(self, stream: str, ratio: float) -> bool:
        """Whether the next event of `stream` is one of the `ratio` share: deterministic,
        so a 5% setting gives exactly 1 in 20, not a random walk around it."""
        with self._lock:
            n = self._seen.get(stream, 0) + 1
            self._seen[stream] = n
        return int(n * ratio) > int((n - 1) * ratio)
