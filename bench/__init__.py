"""Benchmarks and load tests, kept out of the product packages they measure.

``bench.core`` times ``snn_models`` against snnTorch and SpikingJelly; ``bench.web`` loads the
site's home page through gunicorn (``bench.loadtest`` holds its pieces); ``bench.search`` times
title search; ``bench.first_run`` times ``bin/run`` to its first page. Nothing in ``webapp``,
``training``, ``recsys`` or ``snn_models`` imports this package.
"""
