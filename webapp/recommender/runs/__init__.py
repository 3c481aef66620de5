"""Training runs: a run's states (``lifecycle``), handing it to a worker (``dispatch``) and
carrying it out (``execution``). The Celery tasks that join them live in ``recommender/tasks.py``.
"""
