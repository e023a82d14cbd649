"""The traefik provider's notification codes."""

from __future__ import annotations

CODES = {
    "traefik-value-invalid": "a value Traefik itself refuses (or this converter cannot read); it is not converted",
    "traefik-reference-missing": "a Middleware, TraefikService, TLSOption or Service a router names is not in the input",
    "traefik-feature-unsupported": "understood, but nothing in Gateway API (or an extension) carries it",
    "traefik-behaviour-differs": "converted, but some requests are answered differently than Traefik did",
    "traefik-priority-differs": "Traefik's rule priority sent some requests to another router than Gateway API's precedence picks",
    "traefik-rule-unsupported": "part of a router's rule (a negation, a host regular expression) cannot be matched; that part is not converted",
    "traefik-legacy-group": "an object of the traefik.containo.us group (Traefik v2) is read as its traefik.io equivalent",
    "traefik-conversion-note": "how something was converted, for the record",
}
