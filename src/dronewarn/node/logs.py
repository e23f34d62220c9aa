"""A node's log: one JSON object per line on standard output (or text for a terminal).

Each line carries ``time`` (ISO 8601 UTC), ``level``, ``logger``, ``message`` and the
event's own fields (``channel``, ``partner``, ``error``...). Nothing secret is ever logged:
no password, token, key or message body, only ids, counts and reasons.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.json import JsonFormatter


class _UtcJson(JsonFormatter):
    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        log_data["time"] = datetime.fromtimestamp(record.created, tz=UTC).isoformat(
            timespec="milliseconds"
        )
        log_data["level"] = record.levelname.lower()
        log_data["logger"] = record.name


def configure_logging(level: str, fmt: str, node_id: str) -> None:
    """Send the process's log to standard output, once, in the configured form."""
    handler = logging.StreamHandler(sys.stdout)
    if fmt == "json":
        handler.setFormatter(_UtcJson("%(message)s", static_fields={"node": node_id}))
    else:
        handler.setFormatter(
            logging.Formatter(f"%(asctime)s {node_id} %(levelname)s %(name)s: %(message)s")
        )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("uvicorn", "uvicorn.error", "asyncio"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
