"""What gunicorn serves for the load test: the application, and under ``/bare/`` the bare page
(``bench/bare.py``, the yardstick of issue 9).

    BENCH_DATABASE_URL=sqlite:////tmp/bench-i9/bench-200000.sqlite3 gunicorn bench.wsgi:app
"""

from __future__ import annotations

import os

from werkzeug.middleware.dispatcher import DispatcherMiddleware

from bench.bare import bare_app
from bench.generate import bench_app
from casework.core.runtime import settle_heap

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "sqlite:////tmp/bench-i9/bench-200000.sqlite3")

casework = bench_app(DATABASE_URL)
app = DispatcherMiddleware(casework, {"/bare": bare_app(DATABASE_URL)})

# As `casework serve` and the scheduler do before their first request or job.
settle_heap()
