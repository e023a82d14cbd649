"""OpenAPI 3.0 / 3.1 documents (the Go tool's ``openapi3`` provider).

Not a controller: an API description. A YAML or JSON file whose top level has ``openapi`` (and
neither ``apiVersion`` nor ``kind``) is read as an ``OpenAPIDocument``
(``documents.ingress2gateway.io/v1``) named from ``info.title``; this provider turns each into a
Gateway and HTTPRoutes that route exactly the operations the document describes (server, path,
method) to one backend (``--openapi3-backend``). Swagger 2.0 documents are reported. Documents have
no namespace: like cluster-scoped objects, they are read whatever ``-n`` names.

Unlike the Go tool, whose own expected outputs the CRDs refuse (listener hostname ``*``, header
matches without values, ``{id}`` inside Exact paths), the output is valid: relative servers give
listeners without hostname, templated paths RegularExpression matches, required parameters no
matches; and security requirements are never dropped silently: the operations they protect are
emitted closed unless the emitter carries the check.

**Provider options**, the Go tool's three flags: ``--openapi3-backend [ns/]name:port`` (the
Service every rule goes to; without it the rules have no backend and answer 500),
``--openapi3-gateway-class-name`` (else ``--gateway-class-name``, else ``openapi3``) and
``--openapi3-gateway-tls-secret [ns/]name`` (the certificate of HTTPS listeners; without it they
name ``<gateway>-tls``).

**Verified.** ``ingress2gateway verify --providers openapi3`` routes the requests that matter
through a model of the document (servers, path templates, methods; concrete paths before
templated ones), written from the OpenAPI specification and sharing nothing with the
conversion.

The sections below are the docstrings of the family modules.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ingress2gateway.ir import BackendRef, SecretRef
from ingress2gateway.objects import (
    DOCUMENTS_GROUP,
    OPENAPI_DOCUMENT_KIND,
    KubeObject,
    ResourceKind,
    is_label,
    is_subdomain,
)
from ingress2gateway.plugin import (
    CatalogRow,
    ConvertOptions,
    OptionSpec,
    ProviderBase,
    ProviderContext,
)

from . import build, document, overlaps, paths, security, servers
from .catalog import catalog_rows
from .codes import CODES
from .common import NAME

if TYPE_CHECKING:
    from ingress2gateway.verification.model import SourceModel

_FAMILIES = (
    ("Servers", servers),
    ("Paths", paths),
    ("Overlapping paths", overlaps),
    ("Operations", document),
    ("Security", security),
    ("Output", build),
)
__doc__ = "\n\n".join(
    [inspect.cleandoc(__doc__ or "")]
    + [f"## {title}\n\n{inspect.cleandoc(module.__doc__ or '')}" for title, module in _FAMILIES]
)

DEFAULT_CLASS = "openapi3"
RESOURCES = (
    ResourceKind(
        DOCUMENTS_GROUP, "v1", "openapidocuments", OPENAPI_DOCUMENT_KIND, namespaced=False
    ),
)


def parse_backend(text: str) -> BackendRef | str:
    """``[ns/]name:port`` → a Service backend, or why it is not one."""
    namespace, _, rest = text.rpartition("/")
    name, _, port_text = rest.partition(":")
    if namespace and not is_label(namespace):
        return f"namespace {namespace!r} is not a namespace name"
    if not is_label(name):
        return f"{name!r} is not a Service name"
    if not port_text:
        return "a Service backend needs a port (name:port)"
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        return f"port {port_text!r} is not a port number"
    return BackendRef(name, namespace or None, int(port_text))


def parse_secret(text: str) -> SecretRef | str:
    namespace, _, name = text.rpartition("/")
    if namespace and not is_label(namespace):
        return f"namespace {namespace!r} is not a namespace name"
    if not is_subdomain(name):
        return f"{name!r} is not a Secret name"
    return SecretRef(name, namespace or None)


class OpenAPI3Provider(ProviderBase):
    name = NAME
    description = "OpenAPI 3.0/3.1 documents (YAML or JSON) → Gateway and HTTPRoutes"
    resources = RESOURCES
    options = (
        OptionSpec(
            "backend",
            str,
            None,
            "[ns/]name:port of the Service every HTTPRoute rule goes to (none: rules answer 500)",
        ),
        OptionSpec(
            "gateway-class-name",
            str,
            None,
            "the GatewayClass of the Gateways (default: --gateway-class-name, else openapi3)",
        ),
        OptionSpec(
            "gateway-tls-secret",
            str,
            None,
            "[ns/]name of the Secret HTTPS listeners serve (none: <gateway>-tls, to create)",
        ),
    )
    codes = CODES

    def convert(self, ctx: ProviderContext) -> None:
        documents = [
            obj
            for obj in ctx.objects
            if obj.group == DOCUMENTS_GROUP
            and obj.kind == OPENAPI_DOCUMENT_KIND
            and id(obj) not in ctx.claimed
        ]
        if not documents:
            return
        settings = self._settings(ctx, documents)
        for obj in documents:
            build.convert_document(ctx, obj, settings)

    def _settings(self, ctx: ProviderContext, documents: list[KubeObject]) -> build.Settings:
        report = ctx.report
        sources = [obj.source() for obj in documents]
        backend: BackendRef | None = None
        text = self.option(ctx.options, "backend")
        problem = "--openapi3-backend was not given"
        if isinstance(text, str) and text:
            parsed = parse_backend(text)
            if isinstance(parsed, str):
                problem = f"--openapi3-backend {text!r}: {parsed}"
            else:
                backend = parsed
        secret: SecretRef | None = None
        secret_text = self.option(ctx.options, "gateway-tls-secret")
        if isinstance(secret_text, str) and secret_text:
            parsed_secret = parse_secret(secret_text)
            if isinstance(parsed_secret, str):
                for source in sources:
                    report.error(
                        "openapi3-value-invalid",
                        f"--openapi3-gateway-tls-secret {secret_text!r}: {parsed_secret}; "
                        "it is not used",
                        source=source,
                        provider=NAME,
                    )
            else:
                secret = parsed_secret
        class_name = (
            self.option(ctx.options, "gateway-class-name") or ctx.options.gateway_class_name
        )
        defaulted = not isinstance(class_name, str) or not is_subdomain(class_name)
        return build.Settings(
            backend=backend,
            backend_problem=None if backend is not None else problem,
            gateway_class=DEFAULT_CLASS if defaulted else str(class_name),
            class_defaulted=defaulted,
            tls_secret=secret,
            namespace=ctx.options.gateway_namespace,
            gateway_name=ctx.options.gateway_name,
        )

    def controller_model(
        self, objects: Sequence[KubeObject], options: ConvertOptions
    ) -> SourceModel | None:
        from .controller_model import controller_model

        return controller_model(objects, options.for_provider(NAME), options)

    def catalog_rows(self) -> Sequence[CatalogRow]:
        return catalog_rows()


PROVIDER = OpenAPI3Provider()
