"""Real processes for end-to-end tests, benchmarks and the testing kit: ``eye serve`` on a free port with a fresh
SQLite file, and a static page server on another origin (``localhost`` instead of ``127.0.0.1``)."""

from __future__ import annotations

import contextlib
import http.server
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, text


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def eye_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "server.cli", *args]


class EyeServer:
    """``eye serve`` in a subprocess; SQLite in ``tmp`` unless ``db_url`` names another database."""

    def __init__(self, tmp: Path, db_url: str | None = None, args: tuple[str, ...] = (), env: dict[str, str] | None = None,
                 port: int | None = None):
        """``args`` are more ``eye serve`` options (``--public-url``, ...); ``env`` more variables;
        ``port`` to come back on the port a killed server had."""
        self.port = port or free_port()
        self.db_path = tmp / "eye.db"
        self.db_url = db_url or f"sqlite:///{self.db_path}"
        self.media_dir = tmp / "media"
        self.url = f"http://127.0.0.1:{self.port}/"
        self.tmp = tmp
        self.log_path = tmp / "server.log"
        self.log = open(self.log_path, "a")  # a restarted server (same folder) appends
        self.proc = subprocess.Popen(
            eye_command("serve", "--host", "127.0.0.1", "--port", str(self.port), "--database-url", self.db_url,
                        "--media-dir", str(tmp / "media"), *args),
            cwd=tmp, stdout=self.log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(self.url + "api/v1/health", timeout=1).read()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"eye serve did not start; see {tmp / 'server.log'}") from None
                time.sleep(0.1)
        self.engine = create_engine(self.db_url)

    def create_key(self, *domains: str) -> str:
        args = ["keys", "create", "--institution", "Test University", "--create-institution", "--database-url", self.db_url]
        for d in domains:
            args += ["--domain", d]
        out = subprocess.run(eye_command(*args), cwd=self.tmp, capture_output=True, text=True, check=True).stdout
        return out.strip().splitlines()[-1]

    def create_secret_key(self, institution: str = "Test University", read_only: bool = False) -> str:
        """A secret key for the platform API (``eye keys create-secret``), as a platform's operator makes one."""
        args = ["keys", "create-secret", "--institution", institution, "--database-url", self.db_url]
        out = subprocess.run(eye_command(*args, *(["--read-only"] if read_only else [])), cwd=self.tmp,
                             capture_output=True, text=True, check=True).stdout
        return out.strip().splitlines()[-1]

    def query(self, sql: str, **params):
        with self.engine.connect() as c:
            return c.execute(text(sql), params).all()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        self.engine.dispose()
        self.log.close()


class PageServer:
    """Serves the exam page from ``localhost:PORT`` — a different origin from the Eye server."""

    def __init__(self, pages: dict[str, "str | tuple[bytes, str]"]):
        """``pages`` maps a path to HTML, or to ``(bytes, content type)``."""
        self.pages: dict[str, tuple[bytes, str]] = {}
        for path, content in pages.items():
            self.add(path, content)
        encoded = self.pages

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                found = encoded.get(self.path.split("?")[0])
                if found is None:
                    self.send_error(404)
                    return
                body, content_type = found
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.origin = f"http://localhost:{self.port}"
        self.domain = f"localhost:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def add(self, path: str, content: "str | tuple[bytes, str]") -> None:
        """Serve ``content`` (HTML, or ``(bytes, content type)``) at ``path`` from now on."""
        self.pages[path] = (content.encode(), "text/html; charset=utf-8") if isinstance(content, str) else content

    def stop(self) -> None:
        self.httpd.shutdown()


class S3Server:
    """moto's standalone S3 server (PyPI ``moto[server]``), standing in for AWS S3 or MinIO."""

    def __init__(self, tmp: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(tmp / "s3.log", "w")
        self.proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(self.url, timeout=1)
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto's S3 server did not start") from None
                time.sleep(0.1)
        self.env = {"AWS_ENDPOINT_URL": self.url, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                    "AWS_DEFAULT_REGION": "us-east-1"}

    def bucket(self, name: str) -> str:
        """Create ``name``; returns its ``s3://`` URL."""
        import boto3

        boto3.client("s3", endpoint_url=self.url, aws_access_key_id="test", aws_secret_access_key="test",
                     region_name="us-east-1").create_bucket(Bucket=name)
        return f"s3://{name}"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        self.log.close()


def nginx_binary() -> str:
    import shutil

    return shutil.which("nginx") or "/usr/sbin/nginx"


class Nginx:
    """Debian's nginx in the foreground with its own config: ``server_block`` goes inside ``http``."""

    def __init__(self, tmp: Path, server_block: str, url: str):
        tmp.mkdir(parents=True, exist_ok=True)
        tmp.chmod(0o777)
        self.url = url
        # As root, nginx's workers would run as ``nobody``, who cannot enter pytest's private temporary
        # folders: keep them root here, and never buffer a response or body to a file.
        user = "user root;" if os.geteuid() == 0 else ""
        (tmp / "nginx.conf").write_text(f"""
{user}
daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections 1024; }}
http {{
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    proxy_max_temp_file_size 0;
    client_body_buffer_size 8m;
    {server_block}
}}
""")
        self.proc = subprocess.Popen([nginx_binary(), "-c", str(tmp / "nginx.conf"), "-p", str(tmp)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        import ssl

        context = ssl._create_unverified_context()  # noqa: S323 (the test's own self-signed certificate)
        while True:
            try:
                urllib.request.urlopen(url.rstrip("/") + "/api/v1/health", timeout=1, context=context).read()
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    error = (tmp / "error.log").read_text() if (tmp / "error.log").exists() else ""
                    raise RuntimeError(f"nginx did not start: {error}") from None
                time.sleep(0.1)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


class Cluster:
    """Several ``eye serve`` instances sharing nothing but PostgreSQL, Redis and an S3 store,
    behind Debian's nginx (round robin; a dead instance's requests go to the next one)."""

    def __init__(self, tmp: Path, db_url: str, redis_url: str, s3: S3Server, instances: int = 2,
                 env: dict[str, str] | None = None, workers: int = 1):
        self.tmp = tmp
        self.port = free_port()
        self.url = f"http://localhost:{self.port}/"
        self.db_url = db_url
        bucket = s3.bucket(f"eye-{self.port}")
        self.env = {**s3.env, "EYE_REDIS_URL": redis_url, "EYE_SECRET_KEY": "cluster-test-signing-key-0123456789",
                    **(env or {})}
        self.args = ("--public-url", self.url.rstrip("/"), "--forwarded-allow-ips", "127.0.0.1",
                     "--allowed-hosts", "127.0.0.1", "--media-dir", f"{bucket}/evidence", "--workers", str(workers))
        self.instances = [self._start(i) for i in range(instances)]
        upstream = "\n".join(f"        server 127.0.0.1:{e.port} max_fails=1 fail_timeout=2s;" for e in self.instances)
        # One more door per instance that reaches only it (as the public host: an instance refuses
        # any other), for tests that put a candidate on one instance and a proctor on another.
        pinned = [free_port() for _ in self.instances]
        self.pinned = [f"http://localhost:{port}/" for port in pinned]
        doors = "".join(self._door(str(port), f"127.0.0.1:{e.port}", f"localhost:{self.port}")
                        for port, e in zip(pinned, self.instances, strict=True))
        self.nginx = Nginx(tmp / "nginx", f"""
    upstream eye {{
{upstream}
        keepalive 64;
    }}
{self._door(str(self.port), "eye", "$host")}{doors}""", self.url)
        self.engine = create_engine(db_url)

    @staticmethod
    def _door(port: str, upstream: str, host: str) -> str:
        return f"""
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
        client_max_body_size 5m;
        access_log off;
        location / {{
            proxy_pass http://{upstream};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host {host};
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_next_upstream error timeout http_502 non_idempotent;
        }}
    }}
"""

    def _start(self, index: int, port: int | None = None) -> EyeServer:
        folder = self.tmp / f"instance-{index}"
        folder.mkdir(exist_ok=True)
        return EyeServer(folder, self.db_url, args=self.args, env=self.env, port=port)

    def create_key(self, *domains: str) -> str:
        return self.instances[0].create_key(*domains)

    def kill(self, index: int) -> None:
        """SIGKILL one instance: no shutdown, no flush."""
        self.instances[index].proc.kill()
        self.instances[index].proc.wait(5)

    def restart(self, index: int) -> None:
        self.instances[index] = self._start(index, port=self.instances[index].port)

    def query(self, sql: str, **params):
        with self.engine.connect() as c:
            return c.execute(text(sql), params).all()

    def stop(self) -> None:
        self.nginx.stop()
        for instance in self.instances:
            if instance.proc.poll() is None:
                instance.stop()
        self.engine.dispose()


@contextlib.contextmanager
def throwaway_database(postgres_url: str, prefix: str = "eye_test") -> Iterator[str]:
    """A new, empty database on the PostgreSQL server of ``postgres_url`` for as long as the
    block runs (dropped afterwards, connections and all); yields its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield postgres_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
