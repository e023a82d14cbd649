"""Request handling → Traefik Middlewares (``traefik.io_middlewares.yaml``, v3.7.9).

* **Rate limits** → ``rateLimit`` (``average`` requests per ``period`` of the unit, ``burst``
  when the source gives one; Traefik's default burst is 1). A limit counted per client address
  gets ``sourceCriterion.ipStrategy`` (the remote address); one shared by every client gets
  ``sourceCriterion.requestHost`` (one bucket per Host), the nearest Traefik has. Without
  ``rateLimit.redis`` each Traefik replica counts on its own: noted.
* **Body size** → ``buffering.maxRequestBodyBytes`` (larger requests get 413). The buffering
  middleware holds each whole request (and response) before passing it on, which would break
  streamed requests: where the source streamed (``BodySize.stream_reason``) the limit is not
  set and a warning (``traefik-body-limit-not-enforced``) says so. No limit is Traefik's default.
* **Buffering off** is Traefik's default (it streams); buffering *on* is left in the report.
* **Retries** → ``retry.attempts`` (retries after the first try) and ``retry.status`` for the
  status codes; Traefik retries network errors by default. The per-try timeout is not carried
  (``retry.timeout`` bounds all the tries together).
* **Regex rewrite** → ``replacePathRegex`` (``regex``; ``replacement`` with ``\\1`` written as
  ``${1}`` and a literal ``$`` as ``$$``, Go's expansion syntax), when the pattern compiles.
"""

from __future__ import annotations

import re

from ingress2gateway.ir import BodySize, Buffering, RateLimit, RegexRewrite, Retry
from ingress2gateway.objects import JSONDict
from ingress2gateway.reporting.report import Status

from ._base import INT32, INT64, Contribution, MapEnv, Mapper

BODY_LIMIT_CODE = "traefik-body-limit-not-enforced"
_PERIOD = {"Second": "1s", "Minute": "1m", "Hour": "1h"}
_BACKREF = re.compile(r"\\(\d)")


def rate_limit(ext: RateLimit, env: MapEnv) -> Contribution | None:
    if not 0 < ext.requests <= INT64 or ext.unit not in _PERIOD:
        return None
    body: JSONDict = {"average": ext.requests, "period": _PERIOD[ext.unit]}
    if ext.burst is not None and 0 < ext.burst <= INT64:
        body["burst"] = ext.burst
    notes = ["counted by each Traefik replica on its own (set rateLimit.redis to share counts)"]
    if ext.per_client_ip:
        body["sourceCriterion"] = {"ipStrategy": {"depth": 0}}
        notes.append("per client remote address")
    else:
        body["sourceCriterion"] = {"requestHost": True}
        notes.append("one count per request Host, shared by its clients")
    if ext.burst is None:
        notes.append("burst 1 (Traefik's default)")
    return Contribution("rateLimit", {"rateLimit": body}, Status.PARTIAL, "; ".join(notes))


def body_size(ext: BodySize, env: MapEnv) -> Contribution | None:
    if ext.max_bytes is None or ext.max_bytes <= 0:
        return Contribution("buffering", {}, note="no limit, as Traefik by default")
    if ext.max_bytes > INT64:
        return None
    reason = ext.stream_reason
    if reason is None and env.route_kind == "GRPCRoute":
        reason = "gRPC streams its requests"
    if reason is not None:
        message = (
            f"the source answered 413 to request bodies larger than {ext.max_bytes} bytes; "
            "Traefik enforces a body limit only with its buffering middleware, which holds "
            f"each whole request and would break streamed requests, and {reason}: no limit is "
            "set, so larger requests now reach the backend"
        )
        return Contribution(
            "buffering",
            {},
            Status.UNSUPPORTED,
            f"not enforced: {reason}",
            warnings=[(BODY_LIMIT_CODE, message)],
        )
    return Contribution(
        "buffering",
        {"buffering": {"maxRequestBodyBytes": ext.max_bytes}},
        Status.PARTIAL,
        "larger requests get 413; Traefik's buffering middleware also holds each response "
        "before sending it",
    )


def buffering(ext: Buffering, env: MapEnv) -> Contribution | None:
    if ext.request or ext.response:
        return None
    return Contribution(
        "buffering", {}, note="Traefik streams request and response bodies by default"
    )


def retry(ext: Retry, env: MapEnv) -> Contribution | None:
    if not 0 < ext.attempts <= INT32:
        return None
    body: JSONDict = {"attempts": ext.attempts}
    codes = sorted({c for c in ext.codes if 100 <= c <= 599})
    if codes:
        body["status"] = [str(c) for c in codes]
    note = "retried on network errors" + (
        f" and status {', '.join(map(str, codes))}" if codes else ""
    )
    if ext.per_try_timeout is not None:
        note += f"; the per-try timeout {ext.per_try_timeout} is not carried"
    return Contribution("retry", {"retry": body}, Status.PARTIAL, note)


def _compiles(pattern: str) -> bool:
    """Whether Go's regexp (RE2) takes ``pattern``; without the re2 module, Python's ``re``
    and the absence of constructs RE2 refuses (look-around, back-references) stand in."""
    try:
        import re2  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # pragma: no cover - google-re2 is a dependency
        if re.search(r"\(\?[=!<]|\\[1-9]", pattern):
            return False
        try:
            re.compile(pattern)
        except re.error:
            return False
        return True
    try:
        re2.compile(pattern)
    except Exception:  # re2 raises its own error types
        return False
    return True


def regex_rewrite(ext: RegexRewrite, env: MapEnv) -> Contribution | None:
    if not 0 < len(ext.pattern) <= 1024 or len(ext.substitution) > 1024:
        return None
    if not _compiles(ext.pattern):
        return None
    replacement = _BACKREF.sub(r"${\1}", ext.substitution.replace("$", "$$"))
    return Contribution(
        "replacePathRegex",
        {"replacePathRegex": {"regex": ext.pattern, "replacement": replacement}},
    )


MAPPERS: dict[type, Mapper] = {
    RateLimit: rate_limit,
    BodySize: body_size,
    Buffering: buffering,
    Retry: retry,
    RegexRewrite: regex_rewrite,
}
