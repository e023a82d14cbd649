"""The notification codes of the APISIX provider, each with its one-line meaning.

``docs/notifications.md`` lists them with the core's (``scripts/gen_docs.py``); a code never
changes meaning once released.
"""

from __future__ import annotations

CODES: dict[str, str] = {
    "apisix-value-invalid": "A k8s.apisix.apache.org annotation or APISIX CRD field has a value "
    "the controller would reject or ignore; that field is not converted.",
    "apisix-reference-missing": "An ApisixPluginConfig, ApisixUpstream, ApisixTls secret or "
    "Service port named by a route is not in the input.",
    "apisix-feature-unsupported": "An APISIX feature (plugin, match operator, CRD field) that "
    "neither Gateway API nor any extension carries; not converted.",
    "apisix-behaviour-differs": "Converted, but the result routes some requests differently "
    "from APISIX in a way the message explains (precedence, path globs, regex anchoring).",
    "apisix-conversion-note": "How an APISIX setting was read (class defaults, consumers, "
    "websocket); no action needed unless the message says so.",
}
