"""Load, race and fault tests against the app served by gunicorn, as in production.

    python -m bench.load.run --db sqlite|postgres --users N   # locust, verify, record
    python -m bench.rush                                       # start rush, submit rush
    python -m bench.kill_workers                               # SIGKILL workers under load

Modules: seed (candidates and an open exam), infra (databases, gunicorn, results),
client (a small stdlib HTTP client), verify (what the database must hold
afterwards), locustfile (the simulated candidates).
"""
