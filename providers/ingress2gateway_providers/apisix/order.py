"""Where APISIX's radix-tree order and Gateway API's disagree about regular expressions.

APISIX tries an exact uri first, then the longest prefix; a ``use-regex`` path is the uri
``/*`` (the shortest prefix of all) with a regex condition, and a character prefix ``/p*`` a
prefix as long as ``/p``. Gateway API leaves the order of ``RegularExpression`` matches to the
implementation (Envoy Gateway tries them before any prefix). So a request that both a regex
rule and a prefix rule of the host match may change backend: reported for the regex rule.
"""

from __future__ import annotations

from collections.abc import Iterable

from ingress2gateway.ir import HTTPRoute, PathMatch

from .common import ApisixRun


def _overlaps(regex: PathMatch, prefix: PathMatch) -> bool:
    if regex.value.startswith(".*") or regex.value.startswith("(?i)"):
        return True  # searched anywhere: any prefix may take the same requests first
    stem = regex.value.removesuffix(".*").replace("\\", "")
    return prefix.value.startswith(stem) or stem.startswith(prefix.value.rstrip("/") + "/")


def report_regex_order(run: ApisixRun, routes: Iterable[HTTPRoute]) -> None:
    said: set[tuple[object, str]] = set()
    for route in routes:
        prefixes = [
            (rule, match.path)
            for rule in route.rules
            for match in rule.matches
            if match.path is not None and match.path.type == "PathPrefix" and rule.backend_refs
        ]
        for rule in route.rules:
            for match in rule.matches:
                if match.path is None or match.path.type != "RegularExpression":
                    continue
                others = sorted(
                    {p.value for r, p in prefixes if r is not rule and _overlaps(match.path, p)}
                )
                if not others:
                    continue
                for item in rule.provenance[:1]:
                    key = (item.source, match.path.value)
                    if key in said:
                        continue
                    said.add(key)
                    run.differs(
                        item.source,
                        item.field,
                        f"APISIX tries this host's prefix paths ({', '.join(others[:5])}) before "
                        f"the regular expression {match.path.value}; Gateway API implementations "
                        "order regular expressions their own way (Envoy Gateway before "
                        "prefixes): requests both match may reach another backend",
                    )
