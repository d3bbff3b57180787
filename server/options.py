"""The server's deployment options, read once from the command line or the environment, so every
command (``eye serve``, ``eye purge``, ``eye candidates``, tests) sees the same values.

| option | environment | default |
|---|---|---|
| public URL (the only source of absolute URLs) | ``EYE_PUBLIC_URL`` | ``http://HOST:PORT`` of ``eye serve`` |
| other accepted ``Host`` names | ``EYE_ALLOWED_HOSTS`` (comma-separated) | none |
| proxies whose ``X-Forwarded-For/Proto`` are believed | ``EYE_FORWARDED_ALLOW_IPS`` (comma-separated IPs/CIDRs) | none |
| webhook receivers allowed on private addresses | ``EYE_WEBHOOK_ALLOW_HOSTS`` (hosts or CIDRs) | none |
| longest exam a session may declare | ``EYE_MAX_EXAM_SECONDS`` | 86400 (24 h) |
| evidence per session | ``EYE_EVIDENCE_MAX_FILES`` / ``EYE_EVIDENCE_MAX_MB`` | 50 files / 100 MiB |
| Redis for shared rate limits | ``EYE_REDIS_URL`` | none: each process counts in memory |
| rate limits changed | ``EYE_RATE_LIMITS`` (``name=N per T``, comma-separated) | server/web/limits.py |
| seconds between webhook attempts | ``EYE_WEBHOOK_RETRY_SECONDS`` (comma-separated) | 1, 2, 4 s, 1, 5, 15 min, 1, 3, 6, 12 h |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit


class OptionError(ValueError):
    """An option has a value the server cannot use (names the option and what was wrong)."""


def comma_list(value: str | None) -> tuple[str, ...]:
    return tuple(item.strip() for item in (value or "").split(",") if item.strip())


def _number(name: str, value: str | None, default: float) -> float:
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except ValueError:
        raise OptionError(f"{name}: expected a number, received {value!r}") from None
    if not number > 0 or number == float("inf"):
        raise OptionError(f"{name}: expected a positive number, received {value!r}")
    return number


def _rate_limits(value: str | None) -> tuple[tuple[str, str], ...]:
    from limits import parse

    from .web.limits import LIMITS

    pairs = []
    for entry in comma_list(value):
        name, _, limit = entry.partition("=")
        if name.strip() not in LIMITS:
            raise OptionError(f"EYE_RATE_LIMITS: {name.strip()!r} is not a limit (known: {', '.join(LIMITS)})")
        try:
            parse(limit.strip())
        except ValueError:
            raise OptionError(f"EYE_RATE_LIMITS: {name.strip()}: expected e.g. '600 per 30 seconds', received {limit!r}") from None
        pairs.append((name.strip(), limit.strip()))
    return tuple(pairs)


def normalize_public_url(url: str) -> str:
    """``https://eye.example.edu/`` → ``https://eye.example.edu`` (no path, query or fragment)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OptionError(f"public URL: expected http(s)://HOST[:PORT], received {url!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        raise OptionError(f"public URL: expected only a scheme, host and port, received {url!r}")
    return f"{parts.scheme}://{parts.netloc.lower()}"


@dataclass(frozen=True)
class Options:
    public_url: str | None = None
    allowed_hosts: tuple[str, ...] = ()
    forwarded_allow_ips: tuple[str, ...] = ()
    webhook_allow: tuple[str, ...] = ()
    max_exam_seconds: float = 24 * 3600
    evidence_max_files: int = 50
    evidence_max_bytes: int = 100 * 1024 * 1024
    #: Seconds between webhook attempts (``EYE_WEBHOOK_RETRY_SECONDS``; default about 24 h in all).
    webhook_schedule: tuple[float, ...] | None = None
    #: Run the webhook delivery worker in this process (``eye serve --no-webhook-worker`` when
    #: separate ``eye worker`` processes do it).
    webhook_worker: bool = True
    #: Redis for rate limits shared by every instance (``EYE_REDIS_URL``); None: this process's memory.
    redis_url: str | None = None
    #: Limits changed from server/web/limits.py's defaults, e.g. a test centre with 500 candidates
    #: behind one address: ``EYE_RATE_LIMITS="key_address=600 per 30 seconds"``.
    rate_limits: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> "Options":
        env = os.environ if environ is None else environ
        values: dict[str, object] = {
            "public_url": normalize_public_url(env["EYE_PUBLIC_URL"]) if env.get("EYE_PUBLIC_URL") else None,
            "allowed_hosts": comma_list(env.get("EYE_ALLOWED_HOSTS")),
            "forwarded_allow_ips": comma_list(env.get("EYE_FORWARDED_ALLOW_IPS")),
            "webhook_allow": comma_list(env.get("EYE_WEBHOOK_ALLOW_HOSTS")),
            "max_exam_seconds": _number("EYE_MAX_EXAM_SECONDS", env.get("EYE_MAX_EXAM_SECONDS"), 24 * 3600),
            "evidence_max_files": int(_number("EYE_EVIDENCE_MAX_FILES", env.get("EYE_EVIDENCE_MAX_FILES"), 50)),
            "evidence_max_bytes": int(_number("EYE_EVIDENCE_MAX_MB", env.get("EYE_EVIDENCE_MAX_MB"), 100) * 1024 * 1024),
            "webhook_worker": env.get("EYE_WEBHOOK_WORKER", "1") != "0",
            "redis_url": env.get("EYE_REDIS_URL") or None,
            "rate_limits": _rate_limits(env.get("EYE_RATE_LIMITS")),
            "webhook_schedule": tuple(_number("EYE_WEBHOOK_RETRY_SECONDS", v, 1) for v in comma_list(env.get("EYE_WEBHOOK_RETRY_SECONDS")))
            or None,
        }
        for name, value in overrides.items():
            if value is not None and value != () and value != "":
                values[name] = normalize_public_url(str(value)) if name == "public_url" else value
        return cls(**values)  # type: ignore[arg-type]  # one dict of mixed field types; each was parsed to its field's type above

    @property
    def public_host(self) -> str | None:
        return urlsplit(self.public_url).hostname if self.public_url else None

    def base_url(self, fallback: str) -> str:
        """Where absolute URLs point: the public URL, else the address ``eye serve`` listens on."""
        return self.public_url or fallback.rstrip("/")
