"""CORS: ``enable-cors`` and the ``cors-*`` keys.

``enable-cors: "true"`` turns on ingress-nginx's CORS block for the Ingress's paths; the
``cors-*`` keys (ignored without it) configure it, with the controller's defaults: origins ``*``,
methods ``GET, PUT, POST, DELETE, PATCH, OPTIONS``, the controller's header list, credentials
``true``, max-age 1728000 s. The result is the standard HTTPRoute ``CORS`` filter where the target
has it (v1.5+ standard, experimental before); on older targets the same settings travel as a
``Cors`` extension and are reported.

Origins are read as the controller reads them (``cors/main.go``, ``Parse``): split on commas,
an origin it refuses skipped, ``*`` anywhere meaning every origin; an empty value is ``*``, but
a list whose every origin is refused leaves no origin allowed, so no CORS at all. What Gateway
API's filter cannot say is never widened:

* With ``*`` the controller answers ``Access-Control-Allow-Origin: *``, which browsers refuse
  for credentialed requests even with ``Access-Control-Allow-Credentials: true``; Gateway API's
  filter with ``*`` and credentials echoes the origin and lets every site read credentialed
  responses. So ``*`` is converted without credentials: what browsers allowed stays allowed.
* An origin with another scheme than ``http``/``https`` (``tauri://localhost``) or ``null``
  has no Gateway API form: it is left out, with a warning (those origins lose CORS access).
* ``scheme://*.domain`` matched one DNS label in nginx (``[A-Za-z0-9-]+``); Gateway API's
  ``*`` matches any number of labels, so a security warning names the origins that gain access.
"""

from __future__ import annotations

import re

from ingress2gateway.converting.ingress import IngressModel
from ingress2gateway.ir import Cors, CorsFilter
from ingress2gateway.reporting.report import Status

from ._base import Ann, Run, routes_of, rules_of

DEFAULT_METHODS = ["GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"]
DEFAULT_HEADERS = [
    "DNT",
    "Keep-Alive",
    "User-Agent",
    "X-Requested-With",
    "If-Modified-Since",
    "Cache-Control",
    "Content-Type",
    "Range",
    "Authorization",
]
_KEYS = (
    "cors-allow-origin",
    "cors-allow-methods",
    "cors-allow-headers",
    "cors-expose-headers",
    "cors-allow-credentials",
    "cors-max-age",
)
# cors/main.go corsOriginRegex: the origins the controller keeps (it skips the others).
_NGINX_ORIGIN = re.compile(r"([a-z]+://(\*\.)?[A-Za-z0-9\-.]*(:\d+)?|\*|null)?")
# What Gateway API's HTTPCORSFilter accepts (its CRD pattern, v1.2-v1.6).
_ORIGIN = re.compile(r"\*|https?://(((\*\.)?([a-zA-Z0-9\-]+\.)*[a-zA-Z0-9-]+|\*)(:([0-9]{1,5}))?)")
_TOKEN = re.compile(r"^[A-Za-z0-9!#$%&'*+\-.^_`|~]+\Z")


def apply(run: Run, model: IngressModel) -> None:
    ann = run.ann(model)
    if not ann.flag("enable-cors", False):
        ann.ignored([*_KEYS, "enable-cors"], 'has no effect without enable-cors: "true"')
        return
    origins = _origins(ann)
    methods = [m.upper() for m in ann.csv("cors-allow-methods")] or DEFAULT_METHODS
    if any(not _TOKEN.match(m) for m in methods):
        ann.invalid("cors-allow-methods", "contains something that is not a method")
        methods = DEFAULT_METHODS
    allow_headers = ann.csv("cors-allow-headers") or DEFAULT_HEADERS
    expose = ann.csv("cors-expose-headers")
    for name, values in (("cors-allow-headers", allow_headers), ("cors-expose-headers", expose)):
        if any(not _TOKEN.match(h) for h in values):
            ann.invalid(name, "contains something that is not a header name")
    allow_headers = [h for h in allow_headers if _TOKEN.match(h)]
    expose = [h for h in expose if _TOKEN.match(h)]
    credentials = ann.flag("cors-allow-credentials", True)
    if origins == ["*"] and credentials:
        # nginx answers "Access-Control-Allow-Origin: *", which browsers never accept with
        # credentials; Gateway API would echo each origin and accept them (see the docstring).
        credentials = False
    if not origins:
        note = "no origin of cors-allow-origin is allowed: no CORS headers are sent"
        for name in ("enable-cors", *_KEYS):
            ann.converted(name, [], note)
        return
    max_age = ann.integer("cors-max-age", 0)
    cors = Cors(
        allow_origins=list(dict.fromkeys(origins)),
        allow_methods=list(dict.fromkeys(methods)),
        allow_headers=list(dict.fromkeys(allow_headers)),
        expose_headers=list(dict.fromkeys(expose)),
        allow_credentials=credentials,
        max_age=1728000 if max_age is None else max_age,
        provenance=ann.prov("enable-cors", *_KEYS),
    )
    pairs = rules_of(run, model)
    for _, rule in pairs:
        rule.filters.append(CorsFilter(cors=cors, provenance=list(cors.provenance)))
        rule.extensions.append(cors)
    # Recorded here because the standard emitter writes the filter without a ledger hook; on a
    # target without the CORS filter the pipeline adds "unsupported", which makes this partial.
    routes = routes_of(pairs)
    for name in ("enable-cors", *_KEYS):
        ann.converted(name, routes)


def _origins(ann: Ann) -> list[str]:
    """The origins the controller allows that Gateway API can name; ``["*"]`` for every
    origin, ``[]`` for none. Reports the ones it skipped and those Gateway API cannot name."""
    raw = ann.raw("cors-allow-origin")
    items = [item.strip() for item in (raw or "").split(",") if item.strip()]
    if not items:
        return ["*"]  # absent or empty: the controller's default
    if "*" in items:
        return ["*"]  # cors/main.go: "*" anywhere replaces the list
    refused = [o for o in items if _NGINX_ORIGIN.fullmatch(o) is None]
    kept = [o for o in items if o not in refused]
    unnamed = [o for o in kept if _ORIGIN.fullmatch(o) is None]
    if refused:
        ann.notify(
            "warning",
            "nginx-annotation-invalid",
            "cors-allow-origin",
            f"{ann.key('cors-allow-origin')}: {', '.join(refused)} are not origins; the "
            "controller skipped them, and so does the migration",
        )
    if unnamed:
        message = (
            f"{ann.key('cors-allow-origin')}: Gateway API's CORS filter names only http and "
            f"https origins: {', '.join(unnamed)} no longer get CORS access"
        )
        ann.notify("warning", "annotation-unsupported", "cors-allow-origin", message)
        ann.record("cors-allow-origin", Status.PARTIAL, message)
    allowed = [o for o in kept if o not in unnamed]
    wildcards = [o for o in allowed if "://*." in o]
    if wildcards:
        examples = ", ".join(o.replace("://*.", "://a.b.", 1) for o in wildcards)
        ann.notify(
            "warning",
            "nginx-cors-wildcard-origin",
            "cors-allow-origin",
            f"{ann.key('cors-allow-origin')}: ingress-nginx's '*.' matched one DNS label; "
            f"Gateway API's matches any number, so origins such as {examples} gain CORS access",
            security=True,
        )
    return allowed
