"""Logging set-up for the command line: key=value text or one JSON object per line (general.log_format)."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

_FIELD = re.compile(r"(?<![\w=])([a-z_]+)=(\S+)")  # the key=value pairs of a log message


class JsonFormatter(logging.Formatter):
    """{"time", "level", "logger", "message", ...} per line; easy to ship to any log store.

    The message's key=value pairs (source=, url=, stage=, error=...) are also fields of their own, so a log
    store can filter by source, URL or stage; `error=` takes the rest of the line.
    """

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        data: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": message,
        }
        for match in _FIELD.finditer(message):
            key = match.group(1)
            value = message[match.start(2) :] if key == "error" else match.group(2)
            data.setdefault(key, value)
            if key == "error":
                break
        if record.exc_info:
            data["error"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def configure(level: int, fmt: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s level=%(levelname)s logger=%(name)s %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
