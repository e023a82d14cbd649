"""Whether NGINX Inc admits an Ingress: ``validateIngress`` (``internal/k8s/validation.go``).

``Configuration.AddOrUpdateIngress`` drops an Ingress that fails it: the controller serves none
of its paths and it takes no host. Modelled: the annotation validators of the keys that shape
routing or that Ingresses commonly carry (each runs only when the key is present, the first
failing validator of a key is its error), ``validateIngressSpec`` (rules, hosts, paths,
backends) and the mergeable checks (``validateMasterSpec``, ``validateMinionSpec``). Not
modelled: the validators that depend on how the controller runs (NGINX Plus, App Protect,
snippets enabled); the input is assumed to have been admitted on those.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .selection import IngressInfo

# strconv.ParseBool
_BOOLEANS = {"1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"}
_BOOLEAN_ANNOTATIONS = (
    "nginx.org/redirect-to-https",
    "ingress.kubernetes.io/ssl-redirect",
    "nginx.org/ssl-redirect",
    "nginx.org/proxy-buffering",
    "nginx.org/hsts",
    "nginx.org/use-cluster-ip",
)
_TIME_ANNOTATIONS = (
    "nginx.org/proxy-connect-timeout",
    "nginx.org/proxy-read-timeout",
    "nginx.org/proxy-send-timeout",
    "nginx.org/proxy-next-upstream-timeout",
    "nginx.org/fail-timeout",
)
_SERVICE_ANNOTATIONS = (
    "nginx.org/websocket-services",
    "nginx.org/ssl-services",
    "nginx.org/grpc-services",
)
# parsing_helpers.go timeRegexp / OffsetFmt; validation.go pathFmt; common.go pathFmt.
_TIME_RE = re.compile(
    r"^(\d+y)??\s*(\d+M)??\s*(\d+w)??\s*(\d+d)??\s*(\d+h)??\s*(\d+m)??\s*(\d+s?)??\s*(\d+ms)??\Z"
)
_OFFSET_RE = re.compile(r"^\d+[kKmMgG]?\Z")
_INGRESS_PATH_RE = re.compile(r"^/[^\s;]*\Z")
_COMMON_PATH_RE = re.compile(r"^/[^\s{};\\]*\Z")
_VERIFY_PATH_RE = re.compile(r"^/[^\s{};$]*\Z")
_RFC1738_RE = re.compile(r"^/[A-Za-z0-9\-_.~!*'():@&=+,/?%]*\Z")
_ESCAPED_RE = re.compile(r'^([^"\\]|\\.)*\Z', re.DOTALL)
_ILLEGAL_RE = re.compile(r"^/etc/|^/root(?:/|\Z)|^/var(?:/|\Z)|\\n|\\r\Z")
_DNS_SUBDOMAIN_RE = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z"
)
_LB = {"round_robin", "least_conn", "ip_hash", "random", "random two", "random two least_conn"}


def _braced(path: str) -> list[str]:
    """What Go's ``regexp.FindAllStringSubmatch(`\\{(.*?)\\}`)`` finds in ``path`` that can
    hold a letter: per line, the text from the first ``{`` after a ``}`` to the next ``}``
    (a match starting at a later ``{`` holds a part of it). One pass: Python's ``re`` retried
    ``.*?`` from every ``{`` of a long value without ``}`` (quadratic), where RE2 is linear."""
    found = []
    for line in path.split("\n"):
        for segment in line.split("}")[:-1]:
            opened = segment.find("{")
            if opened >= 0:
                found.append(segment[opened + 1 :])
    return found


def _parse_int(text: str, bits: int = 64) -> int | None:
    """Go's ``strconv.ParseInt(text, 10, bits)``."""
    if re.match(r"^[+-]?[0-9]+\Z", text) is None:
        return None
    value = int(text)
    limit = 1 << (bits - 1)
    return value if -limit <= value < limit else None


def _common_path(value: str) -> str | None:
    """``common.go`` ``validatePath``."""
    if value == "":
        return "required"
    if value.startswith("//"):
        return "protocol-relative URIs not allowed"
    if any(part == ".." for part in re.split(r"[/\\]+", value)):
        return "path traversal not allowed"
    if not _COMMON_PATH_RE.match(value):
        return "must start with / and must not include whitespace, '{', '}' or ';'"
    return None


def _services_of(info: IngressInfo) -> set[str]:
    """``getSpecServices``."""
    names: set[str] = set()
    backends: list[Any] = [info.default_backend]
    backends += [p.get("backend") for r in info.rules for p in r.paths or [] if isinstance(p, dict)]
    for backend in backends:
        if isinstance(backend, dict) and isinstance(backend.get("service"), dict):
            names.add(str(backend["service"].get("name", "")))
    return names


def _annotation_errors(info: IngressInfo) -> Iterator[tuple[str, str]]:
    annotations = {k: v for k, v in info.obj.annotations.items() if isinstance(v, str)}

    def present(key: str) -> str | None:
        return annotations.get(key)

    kind = present("nginx.org/mergeable-ingress-type")
    if kind is not None and kind not in ("master", "minion"):
        yield "nginx.org/mergeable-ingress-type", "must be one of: 'master' or 'minion'"
    mode = present("nginx.org/path-regex")
    if mode is not None and mode not in ("case_sensitive", "case_insensitive", "exact"):
        yield (
            "nginx.org/path-regex",
            "allowed values: 'case_sensitive', 'case_insensitive' or 'exact'",
        )
    for key in _BOOLEAN_ANNOTATIONS:
        value = present(key)
        if value is not None and value not in _BOOLEANS:
            yield key, "must be a boolean"
    for key in (
        "nginx.org/hsts-max-age",
        "nginx.org/hsts-include-subdomains",
        "nginx.org/hsts-behind-proxy",
    ):
        value = present(key)
        if value is None:
            continue
        if present("nginx.org/hsts") not in _BOOLEANS:
            yield key, "related annotation nginx.org/hsts: must be a boolean"
        elif key.endswith("max-age") and _parse_int(value) is None:
            yield key, "must be an integer"
        elif not key.endswith("max-age") and value not in _BOOLEANS:
            yield key, "must be a boolean"
    code = present("nginx.org/http-redirect-code")
    if code is not None and _parse_int(code) not in (301, 302, 307, 308):
        yield "nginx.org/http-redirect-code", "accepted values are '301', '302', '307', '308'"
    for key in ("nginx.org/listen-ports", "nginx.org/listen-ports-ssl"):
        value = present(key)
        if value is None:
            continue
        numbers = [_parse_int(part, 32) for part in value.split(",")]
        if value == "" or any(n is None or n <= 0 for n in numbers):
            yield key, "must be a comma-separated list of port numbers"
    for key in _TIME_ANNOTATIONS:
        value = present(key)
        # (Bounded: a time is a few units; the pattern backtracks on long hostile text.)
        if value is not None and (
            value.strip() == "" or len(value) > 64 or not _TIME_RE.match(value)
        ):
            yield key, "must be a time"
    size = present("nginx.org/client-max-body-size")
    if size is not None and not _OFFSET_RE.match(size):
        yield "nginx.org/client-max-body-size", "must be an offset"
    method = present("nginx.org/lb-method")
    if method is not None and not (method.strip() in _LB or method.strip().startswith("hash")):
        yield "nginx.org/lb-method", "invalid load balancing method"
    secret = present("nginx.org/basic-auth-secret")
    if secret is not None and (secret == "" or not _DNS_SUBDOMAIN_RE.match(secret)):
        yield "nginx.org/basic-auth-secret", "must be a secret name"
    services = _services_of(info)
    for key in _SERVICE_ANNOTATIONS:
        value = present(key)
        if value is not None and (value == "" or set(value.split(",")) - services):
            yield key, "the following services were not found"
    rewrites = present("nginx.org/rewrites")
    if rewrites is not None:
        named = []
        for item in rewrites.split(";"):
            fields = item.strip().split(" ", 1)
            left = fields[0].split("=")
            right = fields[1].split("=") if len(fields) > 1 else []
            ok = (
                len(left) == 2
                and left[0] == "serviceName"
                and len(right) == 2
                and right[0] == "rewrite"
                and _VERIFY_PATH_RE.match(right[1]) is not None
            )
            if not ok:
                yield "nginx.org/rewrites", f"{item!r} is not a valid rewrite format"
                break
            named.append(left[1])
        else:
            if set(named) - services:
                yield "nginx.org/rewrites", "the following services were not found"
    target = present("nginx.org/rewrite-target")
    if target is not None and (
        target.startswith(("http://", "https://"))
        or _common_path(target) is not None
        or any(c in ";{}[]|<>,^`~" for c in target)
        or any(ord(c) < 32 or ord(c) == 127 for c in target)
    ):
        yield "nginx.org/rewrite-target", "not a valid rewrite target"
    root = present("nginx.org/app-root")
    if root is not None and (
        root == "/"
        or _common_path(root) is not None
        or not _RFC1738_RE.match(root)
        or "~" in root
        or root.endswith("/")
    ):
        yield "nginx.org/app-root", "not a valid app root"


def _path_error(raw: Any) -> str | None:
    """``validatePath`` of one Ingress path (and ``validateBackend``)."""
    path = raw.get("path") if isinstance(raw.get("path"), str) else ""
    if path == "" and raw.get("pathType") == "ImplementationSpecific":
        pass
    elif path == "":
        return "path is required for Exact and Prefix PathTypes"
    elif path.startswith("//"):
        return "protocol-relative URIs not allowed"
    elif any(part == ".." for part in re.split(r"[/\\]+", path)):
        return "path traversal not allowed"
    elif not _INGRESS_PATH_RE.match(path):
        return "must start with / and must not include any whitespace character or ';'"
    else:
        try:
            re.compile(path)
        except (re.error, RecursionError, OverflowError):
            return "must be a valid regular expression"
        if not _ESCAPED_RE.match(path):
            return "must have all '\"' escaped"
        if any(re.search("[A-Za-z]", inside) for inside in _braced(path)):
            return "must not include curly braces containing alphabetical characters"
        if _ILLEGAL_RE.search(path):
            return "must not contain invalid paths"
    backend = raw.get("backend")
    if not isinstance(backend, dict) or isinstance(backend.get("resource"), dict):
        return "resource backends are not supported"
    if not isinstance(backend.get("service"), dict):
        return "service backend must be specified"
    return None


def refused(info: IngressInfo) -> list[tuple[str, str]]:
    """(field, reason) for each check the Ingress fails; empty: NGINX Inc admits it."""
    errors = [(f"metadata.annotations[{k}]", why) for k, why in _annotation_errors(info)]
    if not info.rules:
        errors.append(("spec.rules", "Required value"))
    hosts: set[str] = set()
    for index, rule in enumerate(info.rules):
        if rule.host is None:
            # -allow-empty-ingress-host is off by default.
            errors.append((f"spec.rules[{index}].host", "Required value"))
        elif rule.host in hosts:
            errors.append((f"spec.rules[{index}].host", "Duplicate value"))
        else:
            hosts.add(rule.host)
        for position, raw in enumerate(rule.paths or []):
            error = _path_error(raw) if isinstance(raw, dict) else "not a path"
            if error:
                errors.append((f"spec.rules[{index}].http.paths[{position}]", error))
    kind = info.obj.annotations.get("nginx.org/mergeable-ingress-type")
    if kind == "master":
        if len(info.rules) != 1:
            errors.append(("spec.rules", "a master must have exactly one rule"))
        elif info.rules[0].paths:
            errors.append(("spec.rules[0].http.paths", "a master must have no paths"))
    elif kind == "minion":
        if info.tls:
            errors.append(("spec.tls", "a minion must have no TLS"))
        if len(info.rules) != 1:
            errors.append(("spec.rules", "a minion must have exactly one rule"))
        elif not info.rules[0].paths:
            errors.append(("spec.rules[0].http.paths", "must include at least one path"))
    return errors
