"""Load benchmark (loopback only, bounded in time): N simulated candidates each create a session
and post an event batch every ``--interval`` seconds for ``--seconds``, against a real
``eye serve``. A few batches are sent twice on purpose (a client retry). Prints sessions,
events/s, p50/p99 request latency and errors, then verifies in the database that every
acknowledged event is stored exactly once.

Run: ``.venv/bin/python bench/load.py [--candidates 200] [--seconds 60] [--database sqlite|postgresql|both]``
(PostgreSQL: a throwaway server from ``scripts/postgres.sh``, or ``EYE_TEST_POSTGRES_URL``).

Scale-out, on PostgreSQL, one setup after another in one run:
``bench/load.py --setups single,workers,cluster`` — one process; ``eye serve --workers 2``; two
instances behind Debian's nginx sharing PostgreSQL, Redis (``scripts/redis.sh``) and an S3 store
(moto's server). ``--target URL --database-url URL`` drives a server that is already running.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eye_testing.servers import Cluster, EyeServer, S3Server  # noqa: E402
from tests.conftest import BROWSER_ONLY  # noqa: E402

ORIGIN = "http://localhost:5000"


class Stats:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors: dict[str, int] = {}
        self.acked: dict[str, set[str]] = {}
        self.events = 0
        self.replays = 0

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


class Connection:
    """A minimal HTTP/1.1 keep-alive client (the load generator must cost far less CPU than the
    server it measures; a general-purpose client made the generator the bottleneck here)."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.writer.write(
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{head}\r\n".encode() + body
        )
        await self.writer.drain()
        assert self.reader is not None
        status_line = await self.reader.readline()
        if not status_line:
            self.writer = None
            raise ConnectionError("server closed the connection")
        status = int(status_line.split()[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def candidate(host: str, port: int, key: str, stats: Stats, args, deadline: float, rng: random.Random) -> None:
    conn = Connection(host, port)
    config = {**BROWSER_ONLY, "candidateId": f"load-{uuid.uuid4().hex[:8]}", "examDuration": 7200}
    try:
        status, body = await conn.post("/api/v1/sessions", json.dumps({"apiKey": key, "config": config}).encode(), {"Origin": ORIGIN})
    except (OSError, ConnectionError) as e:
        stats.error(type(e).__name__)
        return
    if status != 201:
        stats.error(f"create {status}")
        return
    session = json.loads(body)
    sid = session["sessionId"]
    headers = {"Origin": ORIGIN, "Authorization": f"Bearer {session['token']}"}
    acked = stats.acked.setdefault(sid, set())
    path = f"/api/v1/sessions/{sid}/events"
    n = 0
    await asyncio.sleep(rng.uniform(0, args.interval))  # candidates do not start in lockstep
    while time.monotonic() < deadline:
        started = time.monotonic()
        ids = [f"{sid[:8]}-{n + i}" for i in range(args.batch)]
        n += args.batch
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())  # events must lie within their session
        payload = json.dumps({"events": [{"id": i, "type": "TAB_FOCUS_CHANGE", "createdAt": now,
                                          "payload": {"focused": True}} for i in ids]}).encode()
        for attempt in range(2 if rng.random() < 0.02 else 1):
            t0 = time.monotonic()
            try:
                status, _ = await conn.post(path, payload, headers)
            except (OSError, ConnectionError, asyncio.IncompleteReadError) as e:
                stats.error(type(e).__name__)
                conn = Connection(host, port)
                continue
            stats.latencies.append(time.monotonic() - t0)
            if status == 200:
                acked.update(ids)
                if attempt == 0:
                    stats.events += len(ids)
                else:
                    stats.replays += 1
            else:
                stats.error(f"events {status}")
        await asyncio.sleep(max(0.0, args.interval - (time.monotonic() - started)))
    conn.close()


async def drive(url: str, key: str, args) -> tuple[Stats, float]:
    stats = Stats()
    parts = urlsplit(url)
    t0 = time.monotonic()
    deadline = t0 + args.seconds
    rng = random.Random(1)
    await asyncio.gather(*(candidate(parts.hostname, parts.port, key, stats, args, deadline, rng) for _ in range(args.candidates)))
    return stats, time.monotonic() - t0


def fresh_postgres() -> str:
    base = os.environ.get("EYE_TEST_POSTGRES_URL") or subprocess.run(
        [str(ROOT / "scripts" / "postgres.sh")], capture_output=True, text=True, check=True).stdout.strip()
    name = f"eye_load_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.rsplit("/", 1)[0] + "/" + name


def verify(stats: Stats, query) -> tuple[int, int]:
    """Every acknowledged event stored, exactly once: (missing, duplicated)."""
    missing = duplicates = 0
    for sid, ids in stats.acked.items():
        counts = dict(query("select client_id, count(*) from events where session_id = :s group by client_id", s=sid))
        missing += sum(1 for i in ids if i not in counts)
        duplicates += sum(1 for c in counts.values() if c > 1)
    return missing, duplicates


#: Every simulated candidate comes from 127.0.0.1: as for a test centre behind one NAT, the
#: per-address session limit is raised (EYE_RATE_LIMITS) so that all of them can start.
ENV = {"EYE_RATE_LIMITS": "key_address=2000 per 30 seconds"}


def start(setup: str, tmp: Path):
    """A running server for ``setup``: (url, create_key, query, stop)."""
    if setup == "sqlite":
        eye = EyeServer(tmp, env=ENV)
        return eye.url, eye.create_key, eye.query, eye.stop
    if setup in ("postgresql", "single", "workers"):
        eye = EyeServer(tmp, fresh_postgres(), args=("--workers", "2") if setup == "workers" else (), env=ENV)
        return eye.url, eye.create_key, eye.query, eye.stop
    redis = os.environ.get("EYE_TEST_REDIS_URL") or subprocess.run(
        [str(ROOT / "scripts" / "redis.sh")], capture_output=True, text=True, check=True).stdout.strip()
    s3 = S3Server(tmp)
    group = Cluster(tmp, fresh_postgres(), redis, s3, instances=2, env=ENV)

    def stop() -> None:
        group.stop()
        s3.stop()

    return group.url, group.create_key, group.query, stop


def run(kind: str, args) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        if args.target:
            url, query, stop = args.target, None, lambda: None
            key = args.key
            if args.database_url:
                engine = create_engine(args.database_url)

                def query(sql, **params):  # type: ignore[no-redef]
                    with engine.connect() as c:
                        return c.execute(text(sql), params).all()
        else:
            url, create_key, query, stop = start(kind, Path(tmp))
            key = create_key("localhost:5000")
        try:
            stats, wall = asyncio.run(drive(url, key, args))
            missing, duplicates = verify(stats, query) if query else (-1, -1)
        finally:
            stop()
    lat = sorted(stats.latencies)
    p50 = statistics.median(lat) * 1000 if lat else 0.0
    p99 = lat[int(len(lat) * 0.99) - 1] * 1000 if lat else 0.0
    acked = sum(len(v) for v in stats.acked.values())
    print(f"[{kind}] {args.candidates} candidates, {args.seconds:.0f} s, batch {args.batch} every {args.interval} s")
    print(f"[{kind}] sessions: {len(stats.acked)}   events acknowledged: {acked}   events/s: {stats.events / wall:,.0f}")
    print(f"[{kind}] request latency p50 {p50:.1f} ms, p99 {p99:.1f} ms   requests: {len(lat)}   replayed batches: {stats.replays}")
    print(f"[{kind}] errors: {sum(stats.errors.values())} {stats.errors or ''}")
    print(f"[{kind}] verification: missing {missing}, duplicated {duplicates} → {'OK' if not missing and not duplicates else 'LOST OR DUPLICATED'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candidates", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--batch", type=int, default=10, help="events per batch")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between a candidate's batches")
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--setups", default=None, help="comma-separated: single, workers, cluster (PostgreSQL)")
    parser.add_argument("--target", default=None, help="drive this running server (URL) instead of starting one")
    parser.add_argument("--key", default=None, help="with --target: an API key for origin localhost:5000")
    parser.add_argument("--database-url", default=None, help="with --target: its database, to verify what was stored")
    args = parser.parse_args()
    if args.target and not args.key:
        parser.error("--target needs --key")
    kinds = (args.setups.split(",") if args.setups else
             ["target"] if args.target else ["sqlite", "postgresql"] if args.database == "both" else [args.database])
    for kind in kinds:
        run(kind, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
