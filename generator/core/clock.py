""""Today", read in one place: an explicit date (``--date``), else ``SOURCE_DATE_EPOCH``
(which ``reading-list build --date`` sets for MkDocs, so the plugin sees the same day), else
the real date. The core never reads the clock; it is given this day."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping


def today(explicit: dt.date | None = None, env: Mapping[str, str] | None = None) -> dt.date:
    """The day a command or a build works for."""
    if explicit is not None:
        return explicit
    epoch = (os.environ if env is None else env).get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
    return dt.date.today()
