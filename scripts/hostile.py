#!/usr/bin/env python3
"""Run the CLI on hostile input and count what must never happen.

    python scripts/hostile.py                     # every Python under ~/.pyenv/versions with a venv
    python scripts/hostile.py --python .venv/bin/python
    python scripts/hostile.py --keep /tmp/hostile  # keep the generated inputs

It writes, into a temporary directory, four families of hostile input (generated, the same
every run):

* *files*: broken or extreme documents — an alias bomb, 100,000 levels of YAML nesting, 5,000
  levels of JSON, a lone surrogate 450 levels deep, binary bytes, invalid UTF-8 between good
  documents, UTF-16 with and without a byte-order mark, duplicate keys (YAML and JSON), a
  ``List`` with bad items, a 5 MB line, NUL bytes, a ReDoS path, ...;
* *values*: Ingresses whose annotation (each of 53 ingress-nginx and NGINX Inc keys and 14 Kong
  keys, those that reach routing or the data plane) carries a hostile value (CR/LF header
  injection, NUL, ESC, bidi overrides, nginx configuration characters, 100 KB, backtracking
  bait), Istio VirtualServices with hostile header, rewrite and redirect values, KongPlugins
  with hostile header values;
* *names*: hostile object names, hosts (a trailing newline, an IP address, ``..``, upper case,
  300 characters) and paths;
* *filesystem*: a directory symlink loop, a FIFO (fed by a writer, as a pipe would be), a
  device, a file that cannot be read (when not running as root), stdout to ``/dev/full``.

Then for each Python it runs ``print`` (standard and envoy-gateway emitters), ``check``,
``validate``, ``diff --against`` and ``verify`` on each input, with a time limit, and counts:

* **tracebacks**: ``Traceback`` or ``internal error`` on stderr;
* **hangs**: a run over the time limit;
* **unsafe values**: an output object holding a control character, or a header, cookie, host
  name or origin outside its grammar (the test suite's ``tests/dataplane_checks.py``);
* **silent losses**: an input object the run read that neither the ledger nor any notification
  of ``--report-file`` names.

The figures go in docs/reliability.md. This is a measurement, not a test (the test suite's
fuzz tests assert the same invariants on generated input).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "providers"), str(ROOT / "tests")]

from dataplane_checks import unsafe_values  # type: ignore[import-not-found]  # noqa: E402

HOSTILE_STRINGS = [
    "a\r\nX-Injected: 1",
    "Set-Cookie:a=b\r\nX-Evil: 1",
    "/; Domain=.example.com; SameSite=None\r\nX-Injected: 1",
    "x\x00y",
    "\x1b[2J\x1b[31mred",
    "abc\u202edcba",
    "a;} server { listen 81; } location / {",
    "$request_uri $host $1",
    "http://evil.example.com/\r\n",
    "javascript:alert(1)",
    "/" + "a" * 100_000,
    # Backtracking bait: a long run a pattern accepts, then one character it refuses.
    "a" * 50_000 + "!",
    "a-" * 25_000 + "!",
    "{" * 50_000,
    " " * 50_000 + "x",
    "/a" * 25_000 + "(",
    "(a+)+$",
    "\ud800",
    "",
    " ",
    "true\n",
    "10.0.0.0/8\n0.0.0.0/0",
    "*",
    "../../etc/passwd",
]

NGINX_KEYS = [
    f"nginx.ingress.kubernetes.io/{key}"
    for key in [
        "rewrite-target",
        "use-regex",
        "configuration-snippet",
        "server-snippet",
        "enable-cors",
        "cors-allow-origin",
        "cors-allow-headers",
        "cors-allow-methods",
        "cors-expose-headers",
        "whitelist-source-range",
        "denylist-source-range",
        "auth-url",
        "auth-signin",
        "auth-type",
        "auth-secret",
        "auth-response-headers",
        "limit-rps",
        "proxy-body-size",
        "proxy-read-timeout",
        "permanent-redirect",
        "temporal-redirect",
        "app-root",
        "canary",
        "canary-by-header",
        "canary-by-header-value",
        "canary-by-header-pattern",
        "canary-by-cookie",
        "canary-weight",
        "backend-protocol",
        "affinity",
        "session-cookie-name",
        "session-cookie-path",
        "session-cookie-domain",
        "session-cookie-samesite",
        "custom-headers",
        "server-alias",
        "upstream-vhost",
        "x-forwarded-prefix",
        "upstream-hash-by",
        "from-to-www-redirect",
        "ssl-redirect",
        "force-ssl-redirect",
    ]
] + [
    f"nginx.org/{key}"
    for key in [
        "location-snippets",
        "server-snippets",
        "redirect-to-https",
        "rewrites",
        "rewrite-target",
        "ssl-redirect",
        "proxy-set-headers",
        "add-header",
        "hsts",
        "listen-ports",
        "path-regex",
    ]
]
KONG_KEYS = [
    f"konghq.com/{key}"
    for key in [
        "strip-path",
        "methods",
        "protocols",
        "plugins",
        "headers.x-version",
        "path",
        "regex-priority",
        "https-redirect-status-code",
        "host-aliases",
        "snis",
        "preserve-host",
        "host-header",
        "rewrite",
        "connect-timeout",
    ]
]


def ingress(
    name: str,
    class_name: str,
    annotations: dict[str, str],
    host: Any = "a.example.com",
    path: Any = "/",
    namespace: Any = "web",
) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": name, "namespace": namespace, "annotations": annotations},
        "spec": {
            "ingressClassName": class_name,
            "tls": [{"hosts": [host], "secretName": "tls"}],
            "rules": [
                {
                    "host": host,
                    "http": {
                        "paths": [
                            {
                                "path": path,
                                "pathType": "ImplementationSpecific",
                                "backend": {"service": {"name": "app", "port": {"number": 80}}},
                            }
                        ]
                    },
                }
            ],
        },
    }


def _dump(docs: list[Any]) -> str:
    return yaml.safe_dump_all(docs, allow_unicode=False)


def value_inputs(folder: Path) -> int:
    """One file per annotation key: an Ingress per hostile value. Returns the objects made."""
    made = 0
    for number, key in enumerate(NGINX_KEYS + KONG_KEYS):
        class_name = "kong" if key.startswith("konghq") else "nginx"
        docs = [
            ingress(f"v{number}-{i}", class_name, {key: value})
            for i, value in enumerate(HOSTILE_STRINGS)
            if "\ud800" not in value
        ]
        (folder / f"values-{number:03d}.yaml").write_text(_dump(docs))
        made += len(docs)
    istio = []
    for i, value in enumerate(s for s in HOSTILE_STRINGS if "\ud800" not in s):
        istio.append(
            {
                "apiVersion": "networking.istio.io/v1",
                "kind": "VirtualService",
                "metadata": {"name": f"vs-{i}", "namespace": "mesh"},
                "spec": {
                    "hosts": ["a.example.com"],
                    "gateways": ["mesh/gw"],
                    "http": [
                        {
                            "match": [{"headers": {"x-h": {"exact": value}}}],
                            "headers": {
                                "request": {"set": {"x-a": value}},
                                "response": {"add": {value or "x": "1"}},
                            },
                            "rewrite": {"uri": value, "authority": value},
                            "route": [{"destination": {"host": "app"}}],
                        },
                        {
                            "redirect": {"uri": value, "authority": value},
                        },
                    ],
                },
            }
        )
    istio.append(
        {
            "apiVersion": "networking.istio.io/v1",
            "kind": "Gateway",
            "metadata": {"name": "gw", "namespace": "mesh"},
            "spec": {
                "selector": {"istio": "ingressgateway"},
                "servers": [
                    {"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["*"]}
                ],
            },
        }
    )
    (folder / "values-istio.yaml").write_text(_dump(istio))
    kong = [
        {
            "apiVersion": "configuration.konghq.com/v1",
            "kind": "KongPlugin",
            "metadata": {"name": f"p{i}", "namespace": "web"},
            "plugin": "response-transformer",
            "config": {"add": {"headers": [f"X-A:{value}", value]}},
        }
        for i, value in enumerate(s for s in HOSTILE_STRINGS if "\ud800" not in s)
    ] + [
        ingress(f"k{i}", "kong", {"konghq.com/plugins": f"p{i}"})
        for i in range(len(HOSTILE_STRINGS) - 1)
    ]
    (folder / "values-kong-plugins.yaml").write_text(_dump(kong))
    return made + len(istio) + len(kong)


def name_inputs(folder: Path) -> int:
    hosts = [
        "b.example.com\n",
        "10.0.0.1",
        "a..example.com",
        "UPPER.example.com",
        "x" * 300,
        "*.*.example.com",
        "a example.com",
        "\x1b]0;title\x07.example.com",
        "::1",
        "",
    ]
    paths = ["/a b", "/a\nb", "no-slash", "/(a+)+$", "/" + "(" * 500, "/\x00", "/%00", "//"]
    names = ["UPPER", "a_b", "-a", "x" * 300, "a\nerror: forged", "\x1b[2J", "../../x", ""]
    docs = [ingress(f"h{i}", "nginx", {}, host=h) for i, h in enumerate(hosts)]
    docs += [
        ingress(f"p{i}", "nginx", {"nginx.ingress.kubernetes.io/use-regex": "true"}, path=p)
        for i, p in enumerate(paths)
    ]
    docs += [
        ingress(n, "nginx", {}, host="n.example.com", path=f"/n{i}") for i, n in enumerate(names)
    ]
    docs += [ingress(f"ns{i}", "nginx", {}, namespace=n) for i, n in enumerate(names)]
    docs.append(ingress("good", "nginx", {}, host="good.example.com"))
    (folder / "names.yaml").write_text(_dump(docs))
    return len(docs)


def file_inputs(folder: Path) -> int:
    good = _dump([ingress("good", "nginx", {})])
    files: dict[str, bytes] = {
        "alias-bomb.yaml": (
            "a: &a [x,x,x,x,x,x,x,x,x,x]\n"
            + "".join(
                f"{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n"
                for p, c in zip("abcdefgh", "bcdefghi", strict=False)
            )
        ).encode(),
        "deep-yaml.yaml": ("[" * 100_000 + "]" * 100_000).encode(),
        "deep-json.json": ("[" * 5_000 + "]" * 5_000).encode(),
        "deep-surrogate.json": ('{"a":' * 450 + '"\\ud800"' + "}" * 450).encode(),
        "binary.yaml": bytes(range(256)) * 16,
        "invalid-utf8-middle.yaml": good.encode() + b"---\nkind: \xff\xfe\n---\n" + good.encode(),
        "utf16-bom.yaml": good.encode("utf-16"),
        "utf16-no-bom.yaml": good.encode("utf-16-le"),
        "utf8-bom.yaml": b"\xef\xbb\xbf" + good.encode(),
        "dup-keys.yaml": (good + "---\napiVersion: v1\nkind: Service\nkind: Service\n").encode(),
        "dup-keys.json": b'{"apiVersion": "v1", "kind": "List", "kind": "List", "items": []}',
        "list-bad-items.json": json.dumps(
            {
                "apiVersion": "v1",
                "kind": "List",
                "items": [
                    ingress("ok", "nginx", {}),
                    "not an object",
                    {"kind": "Ingress"},
                    None,
                    7,
                ],
            }
        ).encode(),
        "huge-line.yaml": ("a: " + "x" * 5_000_000 + "\n").encode(),
        "nul.yaml": good.encode().replace(b"good", b"go\x00od"),
        "crlf.yaml": good.replace("\n", "\r\n").encode(),
        "empty.yaml": b"",
        "only-separators.yaml": b"---\n---\n...\n",
        "not-a-mapping.yaml": b"- 1\n- 2\n",
        "scalar.yaml": b"just text\n",
        "tabs.yaml": b"apiVersion: v1\n\tkind: x\n",
        "huge-int.yaml": good.replace("number: 80", "number: " + "9" * 5000).encode(),
        "redos-path.yaml": _dump(
            [
                ingress(
                    "r",
                    "nginx",
                    {"nginx.ingress.kubernetes.io/use-regex": "true"},
                    path="/(a|a)*(a|a)*(a|a)*b" + "a" * 64,
                )
            ]
        ).encode(),
        "many-docs.yaml": ("---\n{}\n" * 50_000).encode(),
        "missing-kind.yaml": b"apiVersion: v1\nmetadata: {name: x}\n",
        "wrong-types.yaml": _dump(
            [
                {**ingress("t", "nginx", {}), "spec": {"rules": "x"}},
                {**ingress("t2", "nginx", {}), "metadata": "x"},
                {**ingress("t3", "nginx", {}), "spec": {"tls": [1, None]}},
            ]
        ).encode(),
        "annotations-not-strings.yaml": _dump(
            [
                {
                    **ingress("n", "nginx", {}),
                    "metadata": {
                        "name": "n",
                        "namespace": "web",
                        "annotations": {"nginx.ingress.kubernetes.io/limit-rps": 5, "x": None},
                    },
                }
            ]
        ).encode(),
        "unknown-fields.yaml": _dump(
            [
                {
                    **ingress("u", "nginx", {}),
                    "spec": {
                        "rules": [
                            {
                                "host": "u.example.com",
                                "htp": {"paths": [{"path": "/admin", "pathType": "Prefix"}]},
                            }
                        ],
                        "bogus": 1,
                    },
                }
            ]
        ).encode(),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return len(files)


def filesystem_inputs(folder: Path) -> list[Path]:
    special = folder / "special"
    special.mkdir()
    loop = special / "loop"
    loop.mkdir()
    (loop / "self").symlink_to(loop, target_is_directory=True)
    (loop / "good.yaml").write_text(_dump([ingress("loop", "nginx", {})]))
    fifo = folder / "fifo.yaml"
    os.mkfifo(fifo)
    unreadable = folder / "unreadable.yaml"
    unreadable.write_text(_dump([ingress("u", "nginx", {})]))
    unreadable.chmod(0)
    return [loop, Path("/dev/zero"), unreadable, Path("/proc/self/does-not-exist"), fifo]


FIFO_CONTENT = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-a-fifo}\n"


def _feed_fifos(args: list[str], stop: threading.Event) -> list[threading.Thread]:
    """A writer for each FIFO among ``args``, as a shell's ``<(...)`` or a pipe would have:
    reading a FIFO nobody writes blocks, in this tool as in ``cat`` or kubectl."""
    threads = []
    for arg in args:
        path = Path(arg)
        if not path.is_fifo():
            continue

        def feed(path: Path = path) -> None:
            while not stop.is_set():
                try:
                    descriptor = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
                except OSError:  # ENXIO: no reader yet
                    time.sleep(0.01)
                    continue
                with contextlib.suppress(OSError):
                    os.write(descriptor, FIFO_CONTENT)
                os.close(descriptor)
                return  # one reader, one document: the reader then sees the end of it

        thread = threading.Thread(target=feed, daemon=True)
        thread.start()
        threads.append(thread)
    return threads


def run(
    python: Path,
    args: list[str],
    limit: float,
    stdin: bytes | None = None,
    stdout_to: str | None = None,
) -> tuple[int | None, str, str]:
    stop = threading.Event()
    writers = _feed_fifos(args, stop)
    try:
        return _run(python, args, limit, stdin, stdout_to)
    finally:
        stop.set()
        for writer in writers:
            writer.join()


def _run(
    python: Path,
    args: list[str],
    limit: float,
    stdin: bytes | None,
    stdout_to: str | None,
) -> tuple[int | None, str, str]:
    command = [str(python), "-m", "ingress2gateway", *args]
    target = open(stdout_to, "wb") if stdout_to else contextlib.nullcontext(subprocess.PIPE)  # noqa: SIM115
    with target as out:
        try:
            done = subprocess.run(
                command,
                input=stdin,
                stdout=out,
                stderr=subprocess.PIPE,
                timeout=limit,
                cwd=ROOT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return None, "", ""
    stdout = done.stdout.decode("utf-8", "replace") if isinstance(done.stdout, bytes) else ""
    return done.returncode, stdout, done.stderr.decode("utf-8", "replace")


def read_objects(text: str) -> list[Any]:
    try:
        return [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]
    except yaml.YAMLError:
        return [{"unreadable output": text[:200]}]


READ_KINDS = {"Ingress", "VirtualService", "Gateway", "KongPlugin"}


def expected_objects(paths: list[Path]) -> dict[tuple[str, str, str], tuple[str, range]]:
    """The objects of ``paths`` a provider reads (when the file parses), by kind/ns/name (an
    absent or empty namespace is ``None``, as the report writes it), with the file and the
    lines of their document."""
    found: dict[tuple[str, str, str], tuple[str, range]] = {}
    for path in paths:
        files = sorted(path.rglob("*.yaml")) if path.is_dir() else [path]
        for file in files:
            try:
                if not file.is_file() or file.stat().st_size > 1 << 20:
                    continue  # devices and FIFOs (endless), and the extreme files, hold no
                    # object a provider reads
                text = file.read_text()
                docs = list(yaml.load_all(text, Loader=yaml.CSafeLoader))
                nodes = list(yaml.compose_all(text, Loader=yaml.CSafeLoader))
            except (OSError, ValueError, RecursionError, yaml.YAMLError):
                continue
            for doc, node in zip(docs, nodes, strict=False):
                meta = doc.get("metadata") if isinstance(doc, dict) else None
                if isinstance(meta, dict) and doc.get("kind") in READ_KINDS:
                    lines = range(node.start_mark.line + 1, node.end_mark.line + 2)
                    key = (
                        str(doc["kind"]),
                        str(meta.get("namespace") or None),
                        str(meta.get("name")),
                    )
                    found[key] = (str(file), lines)
    return found


def silent_losses(report_file: Path, paths: list[Path]) -> int:
    """Input objects a provider reads that neither a ledger entry nor a notification names
    (by the object, or by its file and a line of its document: an object refused on reading,
    for a name the API server would refuse, is named by where it is)."""
    try:
        report = json.loads(report_file.read_text())
    except (OSError, ValueError):
        return 0
    named = set()
    places: dict[str, set[int]] = {}
    for entry in report.get("ledger", []) + report.get("notifications", []):
        source = entry.get("source") or {}
        named.add((str(source.get("kind")), str(source.get("namespace")), str(source.get("name"))))
        if source.get("file") and isinstance(source.get("line"), int):
            places.setdefault(str(source["file"]), set()).add(source["line"])
    lost = [
        key
        for key, (file, lines) in expected_objects(paths).items()
        if key not in named and not places.get(file, set()).intersection(lines)
    ]
    for item in sorted(lost)[:3]:
        print(f"  silent loss: {item}", file=sys.stderr)
    return len(lost)


def measure(
    python: Path, inputs: list[tuple[str, list[Path], str]], limit: float, work: Path
) -> Counter[str]:
    counts: Counter[str] = Counter()
    for label, paths, providers in inputs:
        flags = [x for p in paths for x in ("-f", str(p))]
        report = work / "report.json"
        commands = [
            ["print", "--providers", providers, *flags, "--report-file", str(report)],
            ["print", "--providers", providers, *flags, "--emitter", "envoy-gateway"],
            ["check", "--providers", providers, *(str(p) for p in paths)],
            ["validate", *(str(p) for p in paths)],
            ["diff", "--providers", providers, *flags, "--against", str(work / "against.yaml")],
            ["verify", "--providers", providers, *flags],
        ]
        for args in commands:
            code, out, err = run(python, args, limit)
            counts["runs"] += 1
            if code is None:
                counts["hangs"] += 1
                print(f"  hang: {label}: {args[0]}", file=sys.stderr)
                continue
            if "Traceback" in err or "internal error" in err:
                counts["tracebacks"] += 1
                print(
                    f"  traceback: {label}: {args[0]}: {err.strip().splitlines()[-1][:200]}",
                    file=sys.stderr,
                )
            if args[0] == "print":
                for obj in read_objects(out):
                    problems = unsafe_values(obj)
                    if problems:
                        counts["unsafe values"] += len(problems)
                        print(f"  unsafe: {label}: {problems[0][:200]}", file=sys.stderr)
                if "--report-file" in args:
                    counts["silent losses"] += silent_losses(report, paths)
    code, _, err = run(
        python,
        ["print", "--providers", "nginx", "-f", str(inputs[0][1][0])],
        limit,
        stdout_to="/dev/full",
    )
    counts["runs"] += 1
    if code is None or "Traceback" in err or "internal error" in err or code == 0:
        counts["tracebacks" if code is not None else "hangs"] += 1
    return counts


def pythons() -> list[Path]:
    found = []
    for version in ("3.10", "3.11", "3.12", "3.13"):
        for candidate in [
            *sorted(Path("/tmp").glob(f"venv-{version}*")),
            ROOT / f".venv-{version}",
        ]:
            if (candidate / "bin" / "python").exists():
                found.append(candidate / "bin" / "python")
                break
    return found or [Path(sys.executable)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--python",
        action="append",
        type=Path,
        help="a Python with ingress2gateway installed (repeatable)",
    )
    parser.add_argument("--limit", type=float, default=120.0, help="seconds before a run hangs")
    parser.add_argument("--keep", type=Path, help="write the inputs here and keep them")
    parser.add_argument(
        "--together",
        action="store_true",
        help="only the runs over every input at once (each file alone is slower to run)",
    )
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="i2g-hostile-"))
    work.mkdir(parents=True, exist_ok=True)
    files, values, names = work / "files", work / "values", work / "names"
    for folder in (files, values, names):
        folder.mkdir(exist_ok=True)
    made_files = file_inputs(files)
    made_values = value_inputs(values)
    made_names = name_inputs(names)
    special = filesystem_inputs(work)
    inputs: list[tuple[str, list[Path], str]] = [
        (p.name, [p], "nginx") for p in sorted(files.iterdir())
    ]
    inputs += [(p.name, [p], "nginx,kong,istio") for p in sorted(values.iterdir())]
    inputs += [("names", [names / "names.yaml"], "nginx")]
    inputs += [(str(p), [p, names / "names.yaml"], "nginx") for p in special]
    together = ("all files at once", [files, values, names], "nginx,kong,istio")
    inputs = [together] if args.together else [*inputs, together]
    print(
        f"inputs: {made_files} hostile files, {made_values} objects with hostile values, "
        f"{made_names} objects with hostile names/hosts/paths, {len(special)} filesystem "
        f"cases, as root: {os.geteuid() == 0}"
    )
    for python in args.python or pythons():
        version = subprocess.run(
            [str(python), "--version"], capture_output=True, text=True, check=False
        ).stdout.strip()
        counts = measure(python, inputs, args.limit, work)
        print(f"{version}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))


if __name__ == "__main__":
    main()
