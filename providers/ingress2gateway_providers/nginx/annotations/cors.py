"""CORS: ``enable-cors`` and the ``cors-*`` keys.

``enable-cors: "true"`` turns on ingress-nginx's CORS block for the Ingress's paths; the
``cors-*`` keys (ignored without it) configure it, with the controller's defaults: origins ``*``,
methods ``GET, PUT, POST, DELETE, PATCH, OPTIONS``, the controller's header list, credentials
``true``, max-age 1728000 s. The result is the standard HTTPRoute ``CORS`` filter where the target
has it (v1.5+ standard, experimental before); on older targets the same settings travel as a
``Cors`` extension and are reported.
"""

from __future__ import annotations

import re

from ingress2gateway.ingress import IngressModel
from ingress2gateway.ir import Cors, CorsFilter

from ._base import Run, routes_of, rules_of

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
_ORIGIN = re.compile(r"^(\*|https?://(\*\.)?[A-Za-z0-9.-]+(:\d+)?)\Z")
_TOKEN = re.compile(r"^[A-Za-z0-9!#$%&'*+\-.^_`|~]+\Z")


def apply(run: Run, model: IngressModel) -> None:
    ann = run.ann(model)
    if not ann.flag("enable-cors", False):
        ann.ignored([*_KEYS, "enable-cors"], 'has no effect without enable-cors: "true"')
        return
    origins = ann.csv("cors-allow-origin") or ["*"]
    # ingress-nginx separates origins with commas or spaces.
    origins = [o for item in origins for o in item.split()]
    bad = [o for o in origins if not _ORIGIN.match(o)]
    if bad:
        ann.invalid("cors-allow-origin", f"{', '.join(bad)} are not origins")
        origins = [o for o in origins if o not in bad] or ["*"]
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
