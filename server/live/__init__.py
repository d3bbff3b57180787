"""Live proctoring: what a proctor sends a running widget (``channel``) and how every instance
learns that a session has news (``fanout``: Redis pub/sub when ``EYE_REDIS_URL`` is set, else
this process)."""
