"""Alert kinds: one module each; add a kind by adding a module and listing it here."""

from __future__ import annotations

from typing import Annotated, Union

from pydantic import Field

from sfmon.kinds.error_ratio import ErrorRatio
from sfmon.kinds.latency_quantile import LatencyQuantile
from sfmon.kinds.ratio import Ratio
from sfmon.kinds.raw_expr import RawExpr
from sfmon.kinds.slow_events import SlowEvents
from sfmon.kinds.target_down import TargetDown
from sfmon.kinds.threshold import GaugeThreshold

KINDS = (TargetDown, ErrorRatio, LatencyQuantile, Ratio, SlowEvents, GaugeThreshold, RawExpr)

Alert = Annotated[Union[KINDS], Field(discriminator="kind")]  # type: ignore[valid-type]
