"""One log line for a request the site correctly refused.

Django logs a SuspiciousOperation (too many fields, a bad Host header, a body over the limit)
and a PermissionDenied with the full traceback. Those are the site working as intended; a
traceback per refusal buries the real errors, so for 4xx responses the traceback is dropped and
the line keeps what matters: the status, the reason and the path.
"""

from __future__ import annotations

import logging


class OneLineRefusals(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        # 4xx: refused on purpose; 503: the database outage page, logged once by its own line.
        refused = (
            isinstance(status, int) and (400 <= status < 500 or status == 503)
        ) or record.name.startswith("django.security")
        if refused and record.exc_info:
            exc = record.exc_info[1]
            if exc is not None and str(exc) and str(exc) not in record.getMessage():
                record.msg = f"{record.getMessage()} ({type(exc).__name__}: {exc})"
                record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True
