"""The digest's sent marker: a small JSON file recording each day whose digest went out, so a
re-run of the daily workflow sends nothing twice.

It stores a day's Message-ID, the number of recipients and when it was sent, never an
address: the file may live in a public repository. Days older than
:data:`MARKER_KEEP_DAYS` are dropped on each write.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from ..core.files import YamlError, atomic_write, read_text

MARKER_KEEP_DAYS = 400  #: marker entries older than this are dropped on write


class MarkerError(Exception):
    """The marker file cannot be read; the message is one line for the user."""


def load_marker(path: Path) -> dict[str, Any]:
    """The sent-marker file's ``{"sent": {day: {...}}}`` (empty when the file is missing)."""
    try:
        data = json.loads(read_text(path, 1024 * 1024))
    except FileNotFoundError:
        return {"sent": {}}
    except (YamlError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise MarkerError(f"{path}: not a digest marker file ({exc}); fix or delete it") \
            from None
    if not isinstance(data, dict) or not isinstance(data.get("sent", {}), dict):
        raise MarkerError(f"{path}: not a digest marker file; fix or delete it")
    data.setdefault("sent", {})
    return data


def already_sent(path: Path, day: dt.date) -> dict[str, Any] | None:
    """The record of ``day``'s digest when it was sent already, else None."""
    return load_marker(path)["sent"].get(day.isoformat())


def record_sent(path: Path, day: dt.date, msg_id: str, recipients: int,
                sent_at: dt.datetime) -> None:
    """Mark ``day`` as sent (atomically; old entries pruned). No addresses are stored."""
    data = load_marker(path)
    data["sent"][day.isoformat()] = {"message_id": msg_id, "recipients": recipients,
                                     "sent_at": sent_at.isoformat(timespec="seconds")}
    oldest = (day - dt.timedelta(days=MARKER_KEEP_DAYS)).isoformat()
    data["sent"] = {k: v for k, v in sorted(data["sent"].items()) if k >= oldest}
    atomic_write(path, json.dumps(data, indent=1, sort_keys=True) + "\n")
