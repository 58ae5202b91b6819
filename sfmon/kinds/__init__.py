"""Alert kinds: one module each, listed in KINDS below.

Adding things: a kind is one module holding its model (the spec fields, a subclass of
`base.AlertBase`) and what sfmon derives from it:

- `rules()`: its Prometheus rules as `rule.Rule` data, alerting and recording, in file
  order (one alerting rule per level, `self.alerting_rule(expr, level)`); alerts.yml writes them;
- a kind with a threshold subclasses `tiers.Tiered`, declares `tiers: list[<its Tier>] | None`
  and implements `limit(src)`: (op, value in the expression's unit) of the alert or of one
  tier. `levels()` then gives one level per tier (severity, threshold, `for`, labels), least
  severe first; panels that show the alert draw each;
- `identity(labels)`: which labels of a target's series (job, instance, the target's own)
  the alert keeps; by default a kind keeps them all and sums only over what its selectors
  match on (`sum without (status)`), `by:` narrows. Route tests and generated tests read it;
- `rule_tests(env)`: promtool test groups just over / just under the threshold (`testgen`);
- `selectors()`: spec field -> the selector it contributes, so a check can place a problem
  with a metric on the field that names it.

Guards (`guards:`, any kind) wrap the expression in AlertBase.alerting_rule; their test
cases are added to the kind's by `guards.guarded`.

Then list it in KINDS, use it in tests/fixtures/specs/valid/full.yaml, and run
`make update-snapshots schema docs`.
"""

from __future__ import annotations

from typing import Annotated, Union

from pydantic import Field

from sfmon.kinds.absent import Absent
from sfmon.kinds.cert_expiry import CertExpiry
from sfmon.kinds.count import Count
from sfmon.kinds.counter_change import CounterChange
from sfmon.kinds.deadline import Deadline
from sfmon.kinds.error_ratio import ErrorRatio
from sfmon.kinds.forecast import Forecast
from sfmon.kinds.latency_quantile import LatencyQuantile
from sfmon.kinds.probe_failed import ProbeFailed
from sfmon.kinds.probe_slow import ProbeSlow
from sfmon.kinds.ratio import Ratio
from sfmon.kinds.raw_expr import RawExpr
from sfmon.kinds.slow_events import SlowEvents
from sfmon.kinds.state import State
from sfmon.kinds.target_down import TargetDown
from sfmon.kinds.threshold import GaugeThreshold

KINDS = (
    TargetDown, ErrorRatio, LatencyQuantile, Ratio, SlowEvents, GaugeThreshold,
    CounterChange, State, Absent, Forecast, Deadline, Count, RawExpr, ProbeFailed, ProbeSlow, CertExpiry,
)  # fmt: skip

Alert = Annotated[Union[KINDS], Field(discriminator="kind")]  # type: ignore[valid-type]
