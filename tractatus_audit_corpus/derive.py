"""The coordination window (`relational` applies the rules).

Within a session, rows are taken in exact source time (kept internally, never written):

* `context_pressure`: a row without its own level takes the latest pressure analysis
  (ContextPressureMonitor row) of the same session recorded no later than the row's time plus
  the window, since the framework's hook runs the monitor on the same trigger;
* `coordination`: the other services that decided in the same session within ± the window.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["DEFAULT_WINDOW"]

DEFAULT_WINDOW = dt.timedelta(seconds=2)
