"""ingress-nginx and NGINX Inc (F5) Ingress controllers.

Both controllers' default class is ``nginx``; their annotation families do not overlap
(``nginx.ingress.kubernetes.io/*`` for ingress-nginx, ``nginx.org/*`` and ``nginx.com/*`` for
NGINX Inc), so one provider reads both. Which controller serves an Ingress is its IngressClass's
``spec.controller`` when the input has the IngressClass (``nginx.org/ingress-controller``: NGINX
Inc, even without one ``nginx.org/*`` annotation; ``k8s.io/ingress-nginx``: ingress-nginx, even
with some); without it, NGINX Inc serves an Ingress that carries only NGINX Inc's annotations.
Neither controller reads the other's annotations: they are in the ledger as ignored. Every key of
both families has a row in the catalog below: what becomes of it, its scope and the controller's
risk level. A key under these prefixes that the catalog does not know is reported as unsupported.

What the conversion reproduces of the controllers' behaviour:

* ``pathType: ImplementationSpecific`` is a prefix match, as ingress-nginx rewrites it to
  ``Prefix``; one ``use-regex``/``rewrite-target`` turns *every* path of the host, across
  Ingresses, into a case-insensitive regex prefix (``nginx-regex-mode`` warns the Ingresses
  whose paths changed because of another one). NGINX Inc has no regex mode (see below).
* A host with TLS redirects HTTP to HTTPS with 308 (NGINX Inc: 301 or ``http-redirect-code``)
  unless ``ssl-redirect: "false"``; ``force-ssl-redirect`` redirects without TLS too. The
  redirect lives in its own HTTPRoute bound to the HTTP listener only, the HTTPS route binds to
  the HTTPS listener only (no loops), and a ``/.well-known/acme-challenge`` location keeps being
  served over HTTP as ingress-nginx does (NGINX Inc has no such exemption).
* Canary Ingresses (``canary: "true"``) do not route by themselves: their backend joins the
  primary Ingress's rules as a weighted backendRef, and ``canary-by-header`` /
  ``canary-by-cookie`` become extra rules placed before it (header beats cookie beats weight).
  A canary in another namespace keeps its own Service: the backendRef names that namespace,
  and a ReferenceGrant there allows it.
* Location- and Ingress-scoped annotations apply only to the paths of the Ingress that carries
  them, never to another Ingress's paths on the same host; server-scoped ones (``server-alias``,
  ``ssl-passthrough``, ``auth-tls-*``) are taken from the oldest Ingress of the host that sets
  them and apply to the whole host. A BackendTLSPolicy is per Service: the oldest Ingress wins.
  With ``--gateway-per-namespace`` each namespace's Gateway is a server of its own: a TLS
  host served in two namespaces gets an HTTPS redirect route on each Gateway, and
  ``server-alias``, ``ssl-passthrough`` and VirtualServers apply to their own namespace's
  Gateway.
* Features standard Gateway API lacks (auth, IP allow-lists, rate limits, body size, session
  affinity, load balancing, regex rewrites, retries) travel as typed extensions; the standard
  emitter reports each one (auth and allow-lists as security errors).
* NGINX Inc ``VirtualServer`` / ``TransportServer`` resources convert partially: paths
  (``=``, ``~``, ``~*``, ``^~`` and character prefixes, as below), upstreams, splits,
  header/argument and ``$request_method`` matches, ``pass``, ``redirect`` and ``proxy`` actions
  (``rewritePath``, header changes), ``tls.redirect`` (by scheme or by ``X-Forwarded-Proto``),
  VirtualServerRoute delegation (``route``, ``routeSelector``; several ``~`` routes may share
  one VirtualServerRoute; a Service in another namespace, or an upstream naming
  ``namespace/service``, gets a ReferenceGrant), TLS passthrough; a VirtualServer
  ``ValidateVirtualServer`` refuses is not converted (an error); ``policies`` are not read, so
  the routes they cover are emitted closed (an error); everything else in them is reported
  field by field.
* Snippets (``*-snippet``, ``nginx.org/*-snippets``) are never translated: a security warning
  quotes their first line, with a labelled hint where a line is a recognisable header directive.
  A location or server snippet that restricts access (``allow``/``deny``, ``auth_basic``,
  ``auth_request``, ``return 401|403|444``) is an access control nothing carries: the rules it
  guarded (the Ingress's, or every rule of the host for a server snippet) are emitted closed.
  Values of High/Critical-risk annotations that contain newlines, ``;``, ``{``, ``}`` or ``$``
  are flagged as possible configuration injection.

NGINX Inc (F5 NGINX Ingress Controller), from its ``internal/k8s`` and ``internal/configs``:

* **Admission.** An Ingress that fails ``validateIngress`` is rejected whole by the controller:
  ``nginx.org/path-regex`` other than ``case_sensitive``, ``case_insensitive``, ``exact`` (so
  ``"true"``), a boolean that is not a Go boolean, a redirect code other than 301, 302, 307,
  308, ``listen-ports`` that are not port numbers, ``rewrites`` / ``*-services`` naming a
  Service the Ingress does not use, an invalid ``app-root`` or ``rewrite-target``, a rule without
  host (unless the controller runs with ``-allow-empty-ingress-host``), a master with paths, a
  minion with TLS or without paths. It serves nothing: an error (``nginx-annotation-invalid`` or
  ``nginx-resource-rejected``) names the field, and nothing of the Ingress is converted.
* **Hosts.** A host belongs to one resource, the oldest Ingress, master or VirtualServer that
  names it; another Ingress serves nothing on it, and its paths there are not converted
  (``nginx-not-served``). Minions add their paths to the master of their host (the older minion
  keeps a path both have); a minion without a master serves nothing. Server-level annotations
  are the master's; location-level ones are not inherited from it, except the master's access
  controls (``basic-auth-secret``, ``jwt-key``, ``policies``: the server's), which guard every
  minion path without its own.
* **Paths.** ``Exact`` is ``location = path``; ``Prefix`` and ``ImplementationSpecific`` are
  nginx prefix locations, which match *characters*: ``/app`` takes ``/apple``. They become
  ``PathPrefix /app`` plus ``RegularExpression /app[^/].*`` where no other rule of the host could
  take those requests first (Envoy Gateway tries Exact, then regular expressions, then prefixes);
  where one could (a longer prefix that continues the path, a regular-expression location, a
  rewrite of the matched prefix) the path stays a segment prefix and a warning
  (``nginx-inc-differs``) names the requests that change. A path ending in ``/`` also answers
  the path without it with nginx's 301 to it. ``nginx.org/path-regex`` changes the paths of its
  own Ingress only: ``RegularExpression path.*`` (with ``(?i)`` for ``case_insensitive``) or
  ``Exact``; with ``pathType: Exact`` the controller writes a location no request matches.
* **Server.** TLS is on for a host only when a ``spec.tls`` entry lists it (an entry without
  ``hosts`` gives NGINX Inc's server no HTTPS: the migration keeps it on plain HTTP, with a
  warning). On a host with TLS every plain-HTTP request is redirected (301, or
  ``http-redirect-code``; ``ssl-redirect: "false"`` keeps HTTP) to the first
  ``listen-ports-ssl`` port; ``/.well-known/acme-challenge`` is not exempt. ``redirect-to-https``
  redirects a request whose ``X-Forwarded-Proto`` is ``http``, whatever its path.
  ``listen-ports`` / ``listen-ports-ssl`` move the host's listeners to those ports. A server
  whose every path goes to ``grpc-services`` listens on its TLS port only.
* **Rewrites.** ``nginx.org/rewrites`` puts a URI in ``proxy_pass``: nginx replaces the
  characters the location matched, so ``/coffee`` → ``/beans/`` sends ``/coffee/x`` as
  ``/beans//x``; ``ReplacePrefixMatch`` sends ``/beans/x`` (a warning says so where the slashes
  differ). ``rewrite-target`` is ignored when ``rewrites`` is set, as the controller does.

NGINX Inc's own tests (``tests/suite`` of nginx/kubernetes-ingress) are replayed request by
request against the output: [nginx-inc-suite.md](nginx-inc-suite.md) lists every test file with
the tests that replay it, or why none can.

The ingress-nginx prefix follows the controller's ``--annotations-prefix``:
``--nginx-annotation-prefix`` (or ``--provider-option nginx.annotation-prefix=...``). The
controller ConfigMap is read when it is in the input (``--provider-option
nginx.configmap=NS/NAME`` names it), and ``tcp-services`` / ``udp-services`` become TCP/UDP
listeners and routes.

Deliberate differences from the Go ``ingress2gateway`` (its ingress-nginx PR-399 and nginx-inc
fixtures were compared by meaning):

* The HTTPS redirect route binds to the HTTP listener by ``sectionName`` (the Go tool used
  ``port: 80``), the HTTPS route to the HTTPS listener only, ingress-nginx's ACME challenges stay
  on HTTP, and ``force-ssl-redirect`` is honoured. For NGINX Inc's ``redirect-to-https`` the Go
  tool prepended a match-all redirect rule to the route that also served HTTPS (redirecting
  every request, whatever its ``X-Forwarded-Proto``) and invented a certificate Secret; here
  only requests forwarded as ``http`` are redirected and only existing certificates are used.
  ``listen-ports`` become listeners as in the Go tool, and the HTTPS redirect names the SSL port.
  ``nginx.org/path-regex: "true"``, which the controller refuses, is an error here (the Go tool
  converted it).
* Annotations apply to the rules of the Ingress that carries them only (the Go tool applied
  ``nginx.org/proxy-set-headers``, ``proxy-hide-headers``, ``hsts`` and ``rewrites`` to every rule
  of the merged route; ``rewrites`` once per matching path).
* ``rewrite-target`` with captures is not silently dropped: the prefix-stripping idiom converts
  exactly, other captures travel as a RegexRewrite extension and are reported.
* ``nginx.org/ssl-services`` does not produce a BackendTLSPolicy with an empty ``validation``
  (which the CRD rejects); it is reported. ingress-nginx ``backend-protocol: HTTPS`` without
  verification is reported too, instead of a strict-validation error with nothing emitted.
* ``backend-protocol: FCGI`` is reported, the Ingress is not dropped. ``ImplementationSpecific``
  paths of NGINX Inc Ingresses convert (prefix) instead of failing.
* ``canary-by-cookie`` and ``canary-by-header-pattern`` convert (the Go tool only warned); a
  canary without a primary is a warning, not a hard error.
* Auth, rate limits, allow-lists, load balancing, service-upstream, access logs, snippets and
  the rest are in the ledger with a status, instead of a generic "Unsupported annotation".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from ingress2gateway.converting.ingress import (
    IngressModel,
    IngressPath,
    ingress_classes,
    is_ingress,
    precedence_key,
    resolve_class,
)
from ingress2gateway.converting.ingress_provider import (
    INGRESS_RESOURCES,
    AnnotationSpec,
    IngressProvider,
)
from ingress2gateway.converting.lowering import IngressPolicy, Lowered
from ingress2gateway.ir import PathMatch
from ingress2gateway.objects import KubeObject, ResourceKind
from ingress2gateway.plugin import CatalogRow, ConvertOptions, OptionSpec, Parts, ProviderContext
from ingress2gateway.reporting.report import Status

from . import catalog, codes, parts
from .annotations import (
    access,
    affinity,
    auth,
    backend,
    body,
    canary,
    configmap,
    cors,
    errors,
    headers,
    hosts,
    mirror,
    nginx_inc,
    observability,
    ratelimit,
    redirects,
    rewrite,
    snippets,
    timeouts,
    vhost,
    virtualserver,
)
from .annotations._base import Run
from .annotations.inc_hosts import IncView, is_nginx_inc

if TYPE_CHECKING:
    from ingress2gateway.verification.model import SourceModel

INGRESS_NGINX_PREFIX = catalog.INGRESS_NGINX_PREFIX
NGINX_INC_PREFIXES = ("nginx.org/", "nginx.com/", "appprotect.f5.com/", "appprotectdos.f5.com/")

# Location-scoped families, applied to each Ingress's own rules in this order.
_PER_INGRESS = (
    rewrite,
    headers,
    cors,
    auth,
    access,
    ratelimit,
    timeouts,
    body,
    affinity,
    errors,
    mirror,
    observability,
    nginx_inc,
    redirects,
)


class NginxProvider(IngressProvider):
    name = "nginx"
    aliases = ("ingress-nginx", "nginx-inc")
    description = "ingress-nginx and NGINX Inc Ingress controllers (class nginx)"
    options = (
        OptionSpec(
            "annotation-prefix",
            str,
            INGRESS_NGINX_PREFIX.rstrip("/"),
            "ingress-nginx --annotations-prefix, if the controller ran with a custom one",
        ),
        OptionSpec(
            "configmap",
            str,
            None,
            "NAMESPACE/NAME (or NAME) of the ingress-nginx controller's ConfigMap (its "
            "--configmap); read from the input, or from the cluster in that namespace; "
            "default: the first of ingress-nginx-controller, nginx-configuration, "
            "nginx-ingress-controller in the input",
        ),
        OptionSpec(
            "tcp-services",
            str,
            None,
            "NAMESPACE/NAME (or NAME) of the controller's --tcp-services-configmap in the "
            "input; default: a ConfigMap named tcp-services",
        ),
        OptionSpec(
            "udp-services",
            str,
            None,
            "NAMESPACE/NAME (or NAME) of the controller's --udp-services-configmap in the "
            "input; default: a ConfigMap named udp-services",
        ),
    )
    codes = codes.CODES
    intended_differences = frozenset({"nginx-redirect-trailing-slash"})
    ingress_class_names = ("nginx",)
    controllers = ("k8s.io/ingress-nginx", "nginx.org/ingress-controller")
    implementation_specific = "PathPrefix"
    resources = (
        *INGRESS_RESOURCES,
        ResourceKind("k8s.nginx.org", "v1", "virtualservers", "VirtualServer"),
        ResourceKind("k8s.nginx.org", "v1", "virtualserverroutes", "VirtualServerRoute"),
        ResourceKind("k8s.nginx.org", "v1", "transportservers", "TransportServer"),
    )

    def cluster_reads(self, options: ConvertOptions) -> list[tuple[ResourceKind, str | None]]:
        """The controller's ConfigMaps, when named (``--provider-option nginx.configmap=NS/NAME``):
        they live in the controller's namespace, not the Ingresses'."""
        named = options.for_provider(self.name).get("configmap", "")
        namespace, _, name = named.partition("/")
        if not name or not namespace:
            return []
        return [(ResourceKind("", "v1", "configmaps", "ConfigMap"), namespace)]

    def controller_model(
        self, objects: Sequence[KubeObject], options: ConvertOptions
    ) -> SourceModel | None:
        """How ingress-nginx (and NGINX Inc) route requests over ``objects``, for ``verify``
        (see :mod:`.model`: written from the controllers' code, not from this provider's)."""
        from .model import controller_model

        return controller_model(objects, options)

    def ingress_nginx_prefix(self, ctx: ProviderContext) -> str:
        prefix = ctx.options.for_provider(self.name).get("annotation-prefix")
        return (
            f"{prefix.strip().rstrip('/')}/" if prefix and prefix.strip() else INGRESS_NGINX_PREFIX
        )

    def prefixes(self, ctx: ProviderContext) -> tuple[str, ...]:
        return (self.ingress_nginx_prefix(ctx), *NGINX_INC_PREFIXES)

    def catalog(self, ctx: ProviderContext) -> Mapping[str, AnnotationSpec]:
        return catalog.annotation_specs(self.ingress_nginx_prefix(ctx))

    def catalog_rows(self) -> list[CatalogRow]:
        return catalog.catalog_rows()

    def partition(self, objects: Sequence[KubeObject], options: ConvertOptions) -> Parts | None:
        """With a Gateway per namespace, the input in parts of linked namespaces (see
        :mod:`.parts`); the pipeline converts one part at a time."""
        return parts.partition(objects, options)

    def convert(self, ctx: ProviderContext) -> None:
        classes = ingress_classes(ctx.objects)
        owned = self.owned_classes(ctx, classes)
        ours = [
            obj
            for obj in ctx.objects
            if is_ingress(obj)
            and id(obj) not in ctx.claimed
            and resolve_class(obj, classes, ctx.options.default_ingress_class)[0] in owned
        ]
        configmap.drop_blocklisted(ctx, self.ingress_nginx_prefix(ctx), ours)
        super().convert(ctx)
        wanted = {ctx.options.gateway_class_name or name for name in self.ingress_class_names}
        gateways = [g for g in ctx.ir.gateways if g.gateway_class in wanted]
        virtualserver.convert(ctx, gateways)

    def lowering_models(
        self, ctx: ProviderContext, models: list[IngressModel]
    ) -> list[IngressModel]:
        """Not canaries (their backends join a primary's rules), nor what NGINX Inc does not
        serve (rejected Ingresses, minions without a master, Ingresses whose hosts all belong
        to older ones: see :mod:`.annotations.inc_hosts`)."""
        prefix = self.ingress_nginx_prefix(ctx)
        primaries = [m for m in models if not canary.is_canary(m, prefix)]
        view = IncView.of(
            ctx.objects,
            sorted(primaries, key=precedence_key),
            prefix,
            ctx.options.gateway_per_namespace,
        )
        return [m for m in primaries if not view.excluded(m)]

    def policy(self, ctx: ProviderContext, models: list[IngressModel]) -> IngressPolicy:
        prefix = self.ingress_nginx_prefix(ctx)
        primaries = sorted(
            (m for m in models if not canary.is_canary(m, prefix)), key=precedence_key
        )
        view = IncView.of(ctx.objects, primaries, prefix, ctx.options.gateway_per_namespace)
        ordered = [m for m in primaries if not view.excluded(m)]
        regex_hosts = rewrite.regex_hosts(ordered, prefix)
        # getBackendServers: "skip non-service backends" (no location is made for them).
        policy = IngressPolicy(
            self.name, implementation_specific="PathPrefix", resource_backends=False
        )

        def matcher(model: IngressModel, path: IngressPath) -> PathMatch | None:
            return _match(ctx, prefix, regex_hosts, view, model, path)

        policy.path_matcher = matcher
        return policy

    def apply(self, ctx: ProviderContext, models: list[IngressModel], lowered: Lowered) -> None:
        prefix = self.ingress_nginx_prefix(ctx)
        ordered = sorted(models, key=precedence_key)
        primaries = [m for m in ordered if not canary.is_canary(m, prefix)]
        run = Run(
            ctx=ctx,
            prefix=prefix,
            models=primaries,
            lowered=lowered,
            policy=self.policy(ctx, models),
            regex_hosts=rewrite.regex_hosts(primaries, prefix),
            canaries=[m for m in ordered if canary.is_canary(m, prefix)],
        )
        run.config = configmap.read(run)
        rewrite.warn_regex_mode(run, primaries)
        for model in ordered:
            snippets.apply(run, model)
        for model in primaries:
            if is_nginx_inc(model, run):
                # NGINX Inc reads none of ingress-nginx's annotations.
                nginx_inc.apply(run, model)
                continue
            for family in _PER_INGRESS:
                family.apply(run, model)
            canary.ignore_on_primary(run, model)
        nginx_inc.apply_hosts(run)
        hosts.apply(run)
        hosts.warn_wildcards(run)
        vhost.apply(run)
        auth.apply_hosts(run)
        backend.apply(run)
        canary.apply(run)
        redirects.apply_hosts(run)
        backend.apply_grpc(run)
        backend.apply_external_names(run)
        redirects.apply_slash_redirects(run)
        hosts.split_overfull(run)
        configmap.apply_defaults(run)
        redirects.split_https(run)
        nginx_inc.after_https(run)
        configmap.apply_streams(run)
        # The readers point back at the run: break the cycle, or (with the collector paused
        # during conversion) the run, every model and the lowering index outlive the provider.
        run.forget_readers()


def _match(
    ctx: ProviderContext,
    prefix: str,
    regex_hosts: Mapping[str | None, IngressModel],
    view: IncView,
    model: IngressModel,
    path: IngressPath,
) -> PathMatch | None:
    """The match of one path: NGINX Inc's, ingress-nginx regex mode, or plain."""
    inc = nginx_inc.path_match(ctx, view, model, path)
    if inc is not None:
        return inc if inc.value else None
    if path.host in regex_hosts:
        if path.path == "/":
            # ``location ~* "^/"`` takes every URI, tried last: PathPrefix / exactly.
            return PathMatch("PathPrefix", "/")
        match = rewrite.regex_match(path.path)
        problem = rewrite.re2_problem(match.value)
        if problem is not None:
            message = (
                f"path {path.path!r} is matched as a regular expression (regex mode of its host) "
                f"but {problem}; it is not converted"
            )
            ctx.report.error(
                "path-not-representable",
                message,
                source=model.source,
                field=path.field,
                provider="nginx",
            )
            ctx.report.record(
                model.source, path.field, Status.UNSUPPORTED, note=message, provider="nginx"
            )
            return None
        return match
    if path.path_type == "Exact":
        return PathMatch("Exact", path.path)
    if not view.is_inc(model):
        # ingress-nginx makes Prefix /docs and /docs/ the same location /docs/ (with an exact
        # /docs beside it: updateServerLocations), and Gateway API's PathPrefix ignores a
        # trailing slash: one match, so that two such paths are one path conflict.
        return PathMatch("PathPrefix", path.path.rstrip("/") or "/")
    return PathMatch("PathPrefix", path.path)


PROVIDER = NginxProvider()
