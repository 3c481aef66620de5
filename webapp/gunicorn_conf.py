"""How gunicorn serves SpikeLens (``gunicorn -c webapp/gunicorn_conf.py webapp.wsgi``).

Threaded workers (gthread): a connection occupies a thread only while a request is being read
or answered, and gunicorn 27 hands a connection that has sent nothing for 5 s back to its
poller, so idle or slow clients do not pin the workers as they did with two sync workers. Each
worker holds ``WEB_THREADS`` requests at once, so it takes workers × threads stalled
connections to fill the site; for the open internet, put a buffering proxy (nginx) in front,
which reads whole requests before passing them on (docs/webapp.md, "Limits").
"""

from __future__ import annotations

import os

bind = f"{os.environ.get('SPIKELENS_HOST', '127.0.0.1')}:{os.environ.get('SPIKELENS_PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "16"))
# A request that takes longer than this is cut off and its worker restarted.
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = 20
# Idle kept-alive connections are closed after this many seconds.
keepalive = 5
# Request line and headers: the defaults are generous; these are ample for the site's URLs.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = os.environ.get("WEB_ACCESS_LOG", "-")
