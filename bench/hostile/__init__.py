"""A bounded hostile run against a live SpikeLens on 127.0.0.1: every attack the site has met
and then some, over real sockets, with the database and media folder counted before and after.

Run it with ``python -m bench.hostile`` on a scratch database. Each attack is small (a few dozen
requests at most); the run passes when no answer is a 5xx other than the documented 503, nothing
stored before is lost or changed, and every new poster file belongs to a new movie. It is
tooling, not product: it lives here, beside the load benchmarks, and shares their HTTP visitor
(``bench.http``) with the tests.
"""
