"""Access controls: IP allow/deny lists, basic auth, external auth, client certificates,
oauth2_proxy and raw backend configuration. What an extension can carry travels as a security
extension (an emitter that cannot carry it leaves the rules closed); what nothing can carry
closes the rules outright."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from ingress2gateway.converting import grammar
from ingress2gateway.ir import (
    BasicAuth,
    ClientCertAuth,
    ExternalAuth,
    IPAccess,
)
from ingress2gateway.reporting.report import Level, Status

from .family import HEADER_NAME, Family, has_control
from .keys import Keys

_DENYING_SNIPPET = re.compile(
    r"http-request\s+(deny|auth|reject|silent-drop|tarpit|return)|tcp-request\s+\S+\s+reject"
    r"|\buse_backend\b|\bredirect\b",
    re.IGNORECASE,
)


def _cidrs(family: Family, name: str) -> list[str] | None:
    """The networks of an allow/deny key; None (rules closed) when one cannot be carried."""
    keys = family.keys
    found: list[str] = []
    for item in keys.csv(name):
        if item.startswith(("patterns/", "/")) or (
            "/" in item and not item[0].isdigit() and ":" not in item
        ):
            family.close(name, f"{item!r} is a pattern file, which no extension can carry")
            return None
        try:
            found.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            family.close(name, f"{item!r} is not an IP address or network")
            return None
    return found


def access(family: Family) -> None:
    keys = family.keys
    allow_keys: tuple[str, ...]
    deny_keys: tuple[str, ...]
    if family.tech:
        allow_keys, deny_keys, header_key = (
            ("allow-list", "whitelist"),
            ("deny-list", "blacklist"),
            "src-ip-header",
        )
    else:
        allow_keys = ("allowlist-source-range", "whitelist-source-range")
        deny_keys = ("denylist-source-range",)
        header_key = "allowlist-source-header"
    allow_key = next((k for k in allow_keys if keys.has(k)), None)
    deny_key = next((k for k in deny_keys if keys.has(k)), None)
    for extra in allow_keys + deny_keys:
        if keys.has(extra) and extra not in (allow_key, deny_key):
            keys.record(
                extra,
                Status.IGNORED,
                f"{keys.key(extra)}: {keys.key(allow_key or deny_key or extra)} is read first",
            )
    if keys.has(header_key):
        if allow_key or deny_key or (family.tech and _limited(keys)):
            family.close(
                header_key,
                "the client address is taken from a header, so the allow/deny lists and rate "
                "limits of the Ingress cannot be carried",
            )
            for key in (allow_key, deny_key):
                if key:
                    family.close(key, f"its addresses are read from {keys.key(header_key)}")
            return
        keys.unsupported(
            header_key, "the client address from a header has no per-route equivalent; reported"
        )
    if not allow_key and not deny_key:
        return
    allow = _cidrs(family, allow_key) if allow_key else []
    deny = _cidrs(family, deny_key) if deny_key else []
    if allow is None or deny is None:
        return
    if allow_key and not allow:
        family.close(allow_key, "the list is empty")
        return
    control = IPAccess(
        allow=allow,
        deny=deny,
        provenance=keys.prov(*[k for k in (allow_key, deny_key) if k]),
    )
    for rule in family.rules:
        rule.extensions.append(control)


def _limited(keys: Keys) -> bool:
    return keys.has("rate-limit-requests")


def basic_auth(family: Family) -> None:
    keys = family.keys
    if family.tech:
        if not keys.has("auth-type"):
            for name in ("auth-secret", "auth-realm"):
                keys.record(
                    name,
                    Status.IGNORED,
                    f"{keys.key(name)}: no auth-type, so the controller ignores it",
                )
            return
        kind = (keys.text("auth-type") or "").lower()
        if kind != "basic-auth":
            family.close(
                "auth-type",
                f"{kind!r} is not an auth type the controller knows (basic-auth)",
                status=None,
            )
            _not_read(keys, "the auth-type is refused")
            return
        if not keys.has("auth-secret"):
            family.close("auth-type", "basic-auth without auth-secret", status=None)
            _not_read(keys, "no auth-secret")
            return
    elif not keys.has("auth-secret"):
        return
    secret = keys.text("auth-secret") or ""
    namespace, _, name = secret.rpartition("/")
    problem = grammar.hostname_problem(name) if name else "is empty"
    if problem is not None or (namespace and grammar.hostname_problem(namespace)):
        family.close("auth-secret", f"{secret!r} is not a Secret name")
        return
    realm = keys.text("auth-realm")
    if realm is not None and ('"' in realm or any(ord(c) < 0x20 for c in realm)):
        keys.invalid("auth-realm", "the realm has quotes or control characters")
        realm = None
    ext = BasicAuth(
        secret_name=name,
        secret_namespace=namespace or None,
        realm=realm or ("Protected Content" if family.tech else None),
        provenance=keys.prov("auth-type", "auth-secret", "auth-realm"),
    )
    for rule in family.rules:
        rule.extensions.append(ext)
    hashes = "crypt(3) hashes as user keys" if family.tech else "an htpasswd-style auth key"
    keys.notify(
        Level.WARNING,
        "haproxy-auth-secret-format",
        "auth-secret",
        f"the basic-auth Secret {secret} holds {hashes} in the controller's format; the "
        "implementation may expect another (Envoy Gateway: .htpasswd with SHA hashes): check it",
    )


def _not_read(keys: Keys, why: str) -> None:
    for name in ("auth-secret", "auth-realm"):
        keys.record(name, Status.IGNORED, f"{keys.key(name)}: {why}; the Ingress is closed instead")


def external_auth(family: Family) -> None:
    keys = family.keys
    if family.tech or not keys.has("auth-url"):
        for name in ("auth-signin", "auth-method", "auth-headers-succeed"):
            if keys.has(name) and not family.tech:
                keys.record(name, Status.IGNORED, f"{keys.key(name)}: no auth-url")
        return
    url = keys.text("auth-url") or ""
    parts = urlsplit(url)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or any(c in url for c in " \"'<>")
        or has_control(url)
    ):
        family.close("auth-url", f"{url!r} is not an http(s) URL")
        return
    method = (keys.text("auth-method") or "GET").upper()
    signin = keys.text("auth-signin")
    ext = ExternalAuth(
        url=url,
        method=method if method.isalpha() else "GET",
        response_headers=[
            h for h in keys.csv("auth-headers-succeed") if HEADER_NAME.match(h) and h != "*"
        ],
        signin_url=signin
        if signin and not has_control(signin) and urlsplit(signin).scheme in ("http", "https")
        else None,
        provenance=keys.prov("auth-url", "auth-method", "auth-signin", "auth-headers-succeed"),
    )
    for rule in family.rules:
        rule.extensions.append(ext)


def client_cert(family: Family) -> None:
    keys = family.keys
    if family.tech or not keys.has("auth-tls-secret"):
        return
    secret = keys.text("auth-tls-secret") or ""
    namespace, _, name = secret.rpartition("/")
    if not name or grammar.hostname_problem(name):
        family.close("auth-tls-secret", f"{secret!r} is not a Secret name")
        return
    verify = (keys.text("auth-tls-verify-client") or "on").lower()
    if verify not in ("on", "optional", "optional_no_ca", "off"):
        family.close("auth-tls-verify-client", f"{verify!r} is not a verification mode")
        return
    if verify == "off":
        keys.record("auth-tls-secret", Status.IGNORED, "auth-tls-verify-client is off")
        keys.record(
            "auth-tls-verify-client", Status.CONVERTED, "off: no client certificate is asked"
        )
        return
    ext = ClientCertAuth(
        ca_secret=name,
        ca_namespace=namespace or None,
        verify=verify,
        provenance=keys.prov("auth-tls-secret", "auth-tls-verify-client"),
    )
    for rule in family.rules:
        rule.extensions.append(ext)


def oauth(family: Family) -> None:
    keys = family.keys
    if not family.tech and keys.has("oauth"):
        family.close(
            "oauth",
            "the oauth2_proxy integration (auth-request to the proxy) has no equivalent",
            status=None,
        )


def snippets(family: Family) -> None:
    keys = family.keys
    names = (
        ("backend-config-snippet",)
        if family.tech
        else ("config-backend", "config-backend-early", "config-backend-late")
    )
    for name in names:
        if not keys.has(name):
            continue
        text = keys.text(name) or ""
        first = next((line.strip() for line in text.splitlines() if line.strip()), "")
        if _DENYING_SNIPPET.search(text):
            family.close(
                name,
                f"raw HAProxy configuration that decides who is served ({first[:80]!r}) is never translated",
            )
            continue
        keys.unsupported(
            name,
            f"raw HAProxy configuration is never translated (first line: {first[:80]!r})",
            security=True,
        )
