"""Province-scale benchmark: a data generator (``bench.generate``), the page and dispatcher
benchmark (``bench.run``) and the load test under gunicorn (``bench.load``).

None of this is part of the application or of the default test run; see docs/performance.md.
"""
