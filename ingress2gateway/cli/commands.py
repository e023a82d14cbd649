"""Command line: ``ingress2gateway print|providers|version``.

Exit codes: 0 done; 1 input or conversion errors (unreadable input, or notifications at the
``--fail-on`` level); 2 usage errors; 141 stdout closed before the output was written. No traceback reaches a user: known errors print one line
``error: …``; anything unexpected prints one line too (set ``I2G_DEBUG=1`` for the traceback).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from itertools import islice
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

import click

from ingress2gateway._version import __version__
from ingress2gateway.cli.plugin_options import PluginCommand, parse_provider_options
from ingress2gateway.errors import I2GError, UsageError, internal_error
from ingress2gateway.reporting.printable import printable
from ingress2gateway.reporting.report import Notification, Recorder
from ingress2gateway.scaling.gc_pause import pause_for_good

if TYPE_CHECKING:
    from pathlib import Path

    from click.shell_completion import CompletionItem

    from ingress2gateway.cli.diff import ObjectDiff
    from ingress2gateway.converting.pipeline import Result
    from ingress2gateway.objects import JSONDict, KubeObject, ResourceKind
    from ingress2gateway.plugin import ConvertOptions, Emitted
    from ingress2gateway.scaling.workers import Workers
    from ingress2gateway.writing.sync import FilePlan

FAIL_ON = ("error", "warning", "never")
F = TypeVar("F", bound=Callable[..., Any])
KNOWN_TARGET_HELP = "v1.2 … v1.6 (default: newest vendored)"


class _Group(click.Group):
    """Turns every error into one line on stderr and the documented exit code. Messages name
    files and objects from the input: control characters in them are escaped
    (:func:`~ingress2gateway.reporting.printable.printable`), so that an error stays one line.
    Its commands take the flags of the installed plug-ins' options (:class:`PluginCommand`)."""

    command_class = PluginCommand

    def invoke(self, ctx: click.Context) -> Any:
        # A CLI run is short and builds mostly acyclic data: collecting cycles only costs time
        # (see ingress2gateway/scaling/gc_pause.py); reference counting frees what we drop.
        pause_for_good()
        try:
            return super().invoke(ctx)
        except UsageError as exc:
            raise click.UsageError(printable(str(exc)), ctx) from None
        except I2GError as exc:
            click.echo(f"error: {printable(str(exc))}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            # click's own messages quote bad values with repr(), which escapes controls.
            raise
        except KeyboardInterrupt:
            click.echo("error: interrupted", err=True)
            ctx.exit(130)
        except BrokenPipeError:
            # The reader of stdout went away (`| head`): stop quietly, as a shell tool killed by
            # SIGPIPE would (128 + 13); nothing more can be written there.
            _silence_stdout()
            ctx.exit(EXIT_BROKEN_PIPE)
        except Exception as exc:
            if os.environ.get("I2G_DEBUG"):
                raise
            click.echo(f"error: {printable(internal_error(exc))}", err=True)
            ctx.exit(1)


EXIT_BROKEN_PIPE = 141


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that flushing what is left in its buffer cannot fail."""
    try:
        fileno = sys.stdout.fileno()
    except (OSError, ValueError):
        return  # not a file (a test runner's stream): nothing is flushed at exit
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fileno)
    os.close(devnull)


def _write_stdout(text: str) -> None:
    """Write to stdout. A full disk or an I/O error there (``> /dev/full``) is one line, as
    for any file the tool writes; a closed pipe is left to :class:`_Group`."""
    try:
        sys.stdout.write(text)
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise _stdout_error(exc) from None


def _flush_stdout() -> None:
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise _stdout_error(exc) from None


def _echo_stdout(text: str) -> None:
    _write_stdout(text)
    _flush_stdout()


def _stdout_error(exc: OSError) -> I2GError:
    # What stdout still buffers would fail again when the process exits.
    _silence_stdout()
    return I2GError(f"stdout: cannot write the output: {exc.strerror or exc}")


_LEFT_FOR_EXIT: list[object] | None = None
"""Set by :func:`run`: what a command's end leaves for the process exit to drop at once."""


def _leave_for_exit(*objects: object) -> None:
    """Keep ``objects`` (a large report, say) alive until the process exits, when run by
    :func:`run`: freeing them one by one as the command returns costs time for nothing the
    user can see (0.03 s for the report of 10k Ingresses, 0.6 s at 100k)."""
    if _LEFT_FOR_EXIT is not None:
        _LEFT_FOR_EXIT.extend(objects)


def run() -> None:
    """The console entry point: :func:`main`, then an exit without interpreter teardown.

    A large conversion leaves millions of small objects behind; freeing them one by one when
    the interpreter exits measured 0.13 s for 10k Ingresses, for nothing the user can see.
    Once main is done and the output streams are flushed, the process ends at once (tests call
    :func:`main`, which returns normally and frees everything).
    """
    global _LEFT_FOR_EXIT
    _LEFT_FOR_EXIT = []
    try:
        main(prog_name="ingress2gateway")
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    if isinstance(code, str):  # click never does this, but SystemExit("message") means 1
        sys.stderr.write(code + "\n")
        code = 1
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        code = code or EXIT_BROKEN_PIPE
    except OSError as exc:
        sys.stderr.write(f"error: {printable(str(_stdout_error(exc)))}\n")
        code = code or 1
    sys.stderr.flush()
    os._exit(code if isinstance(code, int) else 0)


def _split_csv(values: Sequence[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def use_colour(stream: TextIO, choice: str) -> bool:
    if choice == "never":
        return False
    if choice == "always":
        return True
    if os.environ.get("NO_COLOR", "") != "":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="ingress2gateway")
def main() -> None:
    """Migrate Ingress and vendor routing configuration to Gateway API.

    Resources go to stdout, the report of what could not be carried over to stderr.
    Exit codes: 0 done, 1 input/conversion errors or findings at --fail-on, 2 usage errors,
    141 stdout closed early.
    """


def _options(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    def apply(func: F) -> F:
        for decorator in reversed(decorators):
            func = decorator(func)
        return func

    return apply


def _complete_providers(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Shell completion of ``--providers``: the installed providers' names (aliases are left
    out: one name each), after those already given in a comma-separated list."""
    from click.shell_completion import CompletionItem

    from ingress2gateway.registry import provider_names

    done, _, last = incomplete.rpartition(",")
    prefix = done + "," if done else ""
    return [CompletionItem(prefix + name) for name in provider_names() if name.startswith(last)]


def _complete_emitters(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Shell completion of ``--emitter``: the installed emitters."""
    from click.shell_completion import CompletionItem

    from ingress2gateway.registry import emitter_names

    return [CompletionItem(name) for name in emitter_names() if name.startswith(incomplete)]


def _providers_option(required: bool) -> Callable[[F], F]:
    return click.option(
        "--providers",
        "providers",
        multiple=True,
        required=required,
        metavar="NAME[,NAME]",
        shell_complete=_complete_providers,
        help="Providers to read with (`ingress2gateway providers` lists them)"
        + ("." if required else "; default: every installed provider that recognises the input."),
    )


_input_option = click.option(
    "-f",
    "--input-file",
    "inputs",
    multiple=True,
    metavar="PATH",
    help="File, directory (recursive *.yaml|*.yml|*.json) or - for stdin. Repeatable. "
    "Without it, the current kubeconfig context is read.",
)

_target_options = _options(
    click.option(
        "--gateway-api-version",
        default=None,
        metavar="VERSION",
        help=f"Target Gateway API release: {KNOWN_TARGET_HELP}.",
    ),
    click.option(
        "--channel",
        type=click.Choice(["standard", "experimental"]),
        default="standard",
        show_default=True,
        help="Gateway API release channel the cluster runs.",
    ),
    click.option(
        "--allow-experimental-gw-api",
        is_flag=True,
        help="Same as --channel experimental (the Go tool's flag).",
    ),
)


def _namespace_name(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """A flag naming a namespace takes what Kubernetes accepts: a DNS-1123 label."""
    from ingress2gateway.objects import is_label

    return _names(
        value,
        is_label,
        "a namespace name: at most 63 lowercase letters, digits and '-', starting and ending "
        "with a letter or digit (a DNS-1123 label)",
    )


def _object_name(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """A flag naming an object (a Gateway, a GatewayClass, an IngressClass) takes what the API
    server accepts for their names: a DNS-1123 subdomain. A gatewayClassName or
    ingressClassName that is not one can never name a class."""
    from ingress2gateway.objects import is_subdomain

    return _names(
        value,
        is_subdomain,
        "a Kubernetes object name: at most 253 lowercase letters, digits, '-' and '.', "
        "starting and ending with a letter or digit (a DNS-1123 subdomain)",
    )


def _secret_name(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """``NAMESPACE/NAME`` of a Secret."""
    from ingress2gateway.objects import is_label, is_subdomain

    if value is None:
        return None
    namespace, _, name = str(value).partition("/")
    if not (is_label(namespace) and is_subdomain(name)):
        raise click.BadParameter(
            f"'{printable(str(value))}' is not NAMESPACE/NAME of a Secret (a namespace name, "
            "'/', an object name)."
        )
    return value


def _names(value: Any, valid: Callable[[str], bool], what: str) -> Any:
    # These names become paths under --output-dir and names in the output: '../x' or a
    # trailing newline must stop here (the checks match the whole string).
    for name in value if isinstance(value, tuple) else (value,):
        if name is not None and not valid(name):
            raise click.BadParameter(f"'{printable(name)}' is not {what}.")
    return value


_conversion_options = _options(
    click.option(
        "--ingress-class",
        "ingress_classes",
        multiple=True,
        metavar="NAME",
        callback=_object_name,
        help="Ingress class names to convert (overrides what the providers own). Repeatable.",
    ),
    click.option(
        "--default-ingress-class",
        default=None,
        metavar="NAME",
        callback=_object_name,
        help="Class of Ingresses that name none (as if IngressClass NAME were the cluster default).",
    ),
    click.option(
        "--gateway-name",
        default=None,
        callback=_object_name,
        help="Name of the generated Gateway (default: the ingress class).",
    ),
    click.option(
        "--gateway-namespace",
        default=None,
        callback=_namespace_name,
        help="Namespace of the shared Gateway.",
    ),
    click.option(
        "--gateway-class-name",
        default=None,
        callback=_object_name,
        help="gatewayClassName of generated Gateways (default: the ingress class).",
    ),
    click.option(
        "--gateway-per-namespace",
        is_flag=True,
        help="One Gateway per namespace and class (the Go tool's layout).",
    ),
    click.option(
        "--provider-option",
        "provider_option",
        multiple=True,
        metavar="PROVIDER.KEY=VALUE",
        help="A provider's setting (`ingress2gateway providers NAME` lists them; each is also "
        "a flag --PROVIDER-KEY below). Repeatable.",
    ),
    click.option(
        "--default-certificate",
        default=None,
        metavar="NAMESPACE/NAME",
        callback=_secret_name,
        help="The Secret the controller served where an Ingress's TLS entry names none "
        "(ingress-nginx --default-ssl-certificate). Without it, those HTTPS listeners name a "
        "Secret you must create.",
    ),
    click.option(
        "--access-control-fallback",
        type=click.Choice(["closed", "open"]),
        default="closed",
        show_default=True,
        help="A rule protected by auth, an IP allow-list or client certificates the emitter "
        "cannot carry: closed (it reaches no backend) or open (you add the control by other "
        "means). Either way it is a security error.",
    ),
)


def _request_timeout(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    """``--request-timeout`` in seconds, parsed as kubectl does (None: not given)."""
    from ingress2gateway.reading.cluster import parse_request_timeout

    if value is None:
        return None
    try:
        return parse_request_timeout(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


_emitter_options = _options(
    click.option(
        "--emitter",
        default="standard",
        show_default=True,
        shell_complete=_complete_emitters,
        help="standard, or an implementation emitter.",
    ),
    click.option(
        "--emitter-option",
        "emitter_option",
        multiple=True,
        metavar="KEY=VALUE",
        help="A setting of the emitter (each is also a flag --EMITTER-KEY below). Repeatable.",
    ),
)

_namespace_options = _options(
    click.option(
        "-n",
        "--namespace",
        default=None,
        callback=_namespace_name,
        help="Only this namespace (cluster: default is the context's).",
    ),
    click.option("-A", "--all-namespaces", is_flag=True, help="All namespaces (cluster reads)."),
)

_cluster_options = _options(
    _namespace_options,
    click.option(
        "--kubeconfig",
        default=None,
        type=click.Path(dir_okay=False),
        help="Path to a kubeconfig file.",
    ),
    click.option("--context", "kube_context", default=None, help="kubeconfig context to use."),
    click.option(
        "--request-timeout",
        default=None,
        metavar="DURATION",
        callback=_request_timeout,
        help="Give up on a cluster request (with its retries) after this long, as kubectl: "
        "30s, 2m, 1h; a bare number is seconds; 0: no limit. Default: 2m.",
    ),
)

_colour_options = _options(
    click.option(
        "--color",
        "color",
        type=click.Choice(["auto", "always", "never"]),
        default="auto",
        show_default=True,
        help="Colour in the stderr report (auto: only on a terminal, never with NO_COLOR).",
    ),
    click.option("--no-color", is_flag=True, help="Same as --color never."),
)


def channel_of(kw: dict[str, Any]) -> str:
    return (
        "experimental"
        if kw.get("allow_experimental_gw_api")
        else str(kw.get("channel", "standard"))
    )


def convert_options(kw: dict[str, Any], namespace: str | None) -> ConvertOptions:
    from ingress2gateway.plugin import ConvertOptions

    provider_options = parse_provider_options(kw.get("provider_option", ()))
    return ConvertOptions(
        ingress_classes=tuple(kw.get("ingress_classes", ())),
        default_ingress_class=kw.get("default_ingress_class"),
        namespace=namespace,
        gateway_name=kw.get("gateway_name"),
        gateway_namespace=kw.get("gateway_namespace"),
        gateway_class_name=kw.get("gateway_class_name"),
        gateway_per_namespace=bool(kw.get("gateway_per_namespace")),
        provider_options=provider_options,
        access_control_fallback=kw.get("access_control_fallback") or "closed",
        default_certificate=kw.get("default_certificate"),
    )


def convert_as_asked(
    objects: list[KubeObject],
    providers: list[str],
    kw: dict[str, Any],
    options: ConvertOptions,
    report: Recorder,
) -> Result:
    """:func:`~ingress2gateway.converting.pipeline.convert` with the command line's emitter,
    its options, the target and ``--emit-invalid``: what ``print`` makes of ``objects``
    (``diff``, ``verify`` and ``plan`` compare with it or read it)."""
    from ingress2gateway.converting.pipeline import convert

    return convert(
        objects,
        providers,
        kw["emitter"],
        options=options,
        gateway_api_version=kw["gateway_api_version"],
        channel=channel_of(kw),
        emit_invalid=bool(kw.get("emit_invalid")),
        report=report,
        emitter_options=_key_values(kw["emitter_option"], "--emitter-option"),
    )


def _load(
    kw: dict[str, Any], providers: list[str], report: Recorder, workers: Workers | None = None
) -> tuple[list[KubeObject], str | None, int]:
    """Objects from --input-file (with ``workers``: parsed by them), or from the cluster; the
    namespace filter; input errors."""
    from ingress2gateway.reading.manifests import read_inputs

    if kw["inputs"]:
        parse = None
        if workers is not None and workers.pool is not None:
            from ingress2gateway.scaling.reading import parsed_in

            parse = parsed_in(workers.pool)
        loaded = read_inputs(kw["inputs"], report=report, parse=parse)
        # As in kubectl, -A wins over -n.
        namespace = None if kw["all_namespaces"] else kw["namespace"]
        return loaded.objects, namespace, loaded.errors
    objects, namespace = _read_cluster(kw, providers, report, sys.stderr)
    return objects, namespace, 0


def _write_input_errors(report: Recorder) -> None:
    errors = [n for n in report.notifications if n.code == "input-invalid" and n.source]
    for note in sorted(errors, key=Notification.sort_key):
        assert note.source is not None
        click.echo(f"error: {printable(f'{note.source.display()}: {note.message}')}", err=True)


@main.command("print")
@_providers_option(required=True)
@_input_option
@click.option(
    "-o",
    "--output",
    "output_format",
    type=click.Choice(["yaml", "json", "kyaml"]),
    default="yaml",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Write one file per object (<namespace>/<kind>-<name>.yaml) instead of stdout.",
)
@click.option(
    "--prune",
    is_flag=True,
    help="With --output-dir: remove the files under DIR that ingress2gateway wrote earlier "
    "(the generator annotation on every document) and no longer generates, and directories "
    "this empties; from a file holding other documents too, only the tool's are removed. "
    "Files it did not write are never touched; nothing is pruned after input errors or "
    "objects that failed validation.",
)
@_emitter_options
@click.option(
    "--report-file",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write the JSON report (notifications and the ledger of every input field).",
)
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON),
    default="never",
    show_default=True,
    help="Exit 1 when a notification of this level (or worse) was produced.",
)
@_target_options
@click.option(
    "--emit-invalid",
    is_flag=True,
    help="Also print objects that fail validation (they are reported either way).",
)
@_conversion_options
@_cluster_options
@_colour_options
@click.option("-q", "--quiet", is_flag=True, help="Only errors in the stderr report.")
@click.option(
    "--verify",
    "run_verify",
    is_flag=True,
    help="Then check, request by request, that the output routes as the source controller "
    "did (see `ingress2gateway verify`); differences go into the report.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes for large conversions on Linux: they parse large YAML input, then "
    "convert the parts of an input in parts, or else validate and encode output objects "
    "(default: the number of CPUs, at most 8; 1: this process only).",
)
def print_command(**kw: Any) -> None:
    """Convert and print Gateway API resources."""
    from ingress2gateway.reporting.report import Level
    from ingress2gateway.reporting.text import render_lines
    from ingress2gateway.scaling import convert_streaming
    from ingress2gateway.scaling.pool import default_jobs

    providers = _split_csv(kw["providers"])
    if not providers:
        raise UsageError("--providers needs at least one name")
    if kw["prune"] and not kw["output_dir"]:
        raise UsageError("--prune needs --output-dir DIR (it removes the files written there)")
    report = Recorder()
    output = _Printer(kw["output_format"], kw["output_dir"])
    jobs = kw["jobs"] or default_jobs()
    with _early_workers(kw, jobs, output.encode) as workers:
        objects, namespace, input_errors = _load(kw, providers, report, workers)
        # Hand the input over without keeping a reference, so that it is freed once the
        # providers are done with it; likewise each output object is written as soon as it is
        # validated. (verify needs both afterwards: they are kept then.)
        kept_input = list(objects) if kw["run_verify"] else []
        printed: list[Emitted] = []
        keep = output.add
        if kw["run_verify"]:

            def keep(item: Emitted) -> None:
                output.add(item)
                printed.append(item)

        stream = iter(objects)
        del objects
        options = convert_options(kw, namespace)
        result = convert_streaming(
            stream,
            providers,
            kw["emitter"],
            options=options,
            gateway_api_version=kw["gateway_api_version"],
            channel=channel_of(kw),
            emit_invalid=kw["emit_invalid"],
            report=report,
            emitter_options=_key_values(kw["emitter_option"], "--emitter-option"),
            on_object=keep,
            encode=output.encode,
            jobs=jobs,
            release_input=not kw["run_verify"],
            workers=workers,
        )
    output.close()
    if kw["run_verify"]:
        _verify_printed(kept_input, printed, providers, options, report)
        result.report = report.finish()  # with what verify found
    if kw["output_dir"]:
        click.echo(f"wrote {output.count} file(s) under {printable(kw['output_dir'])}", err=True)
        if kw["prune"] and not output.prune(kw["inputs"], input_errors, result):
            input_errors += 1  # what was asked was not done: exit 1
    if kw["report_file"]:
        _write_report(kw["report_file"], result)
    _write_input_errors(report)
    colour = use_colour(sys.stderr, "never" if kw["no_color"] else kw["color"])
    min_level = Level.ERROR if kw["quiet"] else Level.INFO
    lines = render_lines(
        result.report, colour=colour, min_level=min_level, exclude_codes={"input-invalid"}
    )
    # stderr flushes at every newline written: written a line at a time, a large report took
    # a system call per line (600k at 100k Ingresses, 1 s).
    while chunk := "".join(islice(lines, 1024)):
        sys.stderr.write(chunk)
    if not output.count:
        sys.stderr.write("No Gateway API resources were generated.\n")
    _leave_for_exit(result)
    if input_errors or result.fails(kw["fail_on"]):
        sys.exit(1)


def _verify_printed(
    objects: list[KubeObject],
    printed: list[Emitted],
    providers: list[str],
    options: ConvertOptions,
    report: Recorder,
) -> None:
    """``print --verify``: what verify finds about the printed objects, as notifications."""
    import yaml

    from ingress2gateway.verification.compare import compare
    from ingress2gateway.verification.run import intended_differences, source_model

    output = []
    for item in printed:
        # Objects converted in parts come back encoded, with only their metadata as a body.
        body = item.body if "spec" in item.body or item.text is None else yaml.safe_load(item.text)
        output.append(body)
    model = source_model(objects, providers, options)
    intended = intended_differences(providers)
    found = compare(model, model.requests(), output, report, intended)
    sources = {(o.kind, o.namespace or "default", o.name): o.source() for o in objects}
    for difference in found.unexplained:
        subject = difference.subject
        source = None
        if subject is not None:
            source = sources.get((subject.kind, subject.namespace or "default", subject.name))
        report.warning(
            "verify-difference",
            f"{difference.request.display()}: the source controller answers "
            f"{difference.source.outcome.display()}, the migration "
            f"{difference.target.outcome.display()}, and the report does not say so",
            source=source,
            field=subject.field or None if subject else None,
        )
    summary = found.summary()
    report.info(
        "verify-summary",
        f"verified {summary['requests']} request(s): {summary['differences']} answered "
        f"differently, {summary['unexplained']} not explained by the report",
    )


EARLY_WORKERS_BYTES = 512 * 1024
"""Input files at least this large (about 350 Ingresses) have their workers started before
they are read (see :class:`~ingress2gateway.scaling.workers.Workers`)."""


def _early_workers(
    kw: dict[str, Any], jobs: int, encode: Callable[[JSONDict], str]
) -> AbstractContextManager[Workers | None]:
    """Workers started now, before a large input is read, or None (small input, stdin, a
    cluster, one job: the pipeline decides as it goes). They compile the validator and parse
    the YAML documents while the input is read, then convert its parts or check the output
    objects."""
    from ingress2gateway.reading.manifests import STDIN, expand_paths
    from ingress2gateway.scaling.workers import Workers
    from ingress2gateway.target import Target

    inputs = expand_paths(kw["inputs"]) if kw["inputs"] else []
    size = sum(os.path.getsize(path) for path in inputs if path != STDIN)
    if jobs < 2 or size < EARLY_WORKERS_BYTES:
        return nullcontext(None)
    target = Target.parse(kw["gateway_api_version"], channel_of(kw))
    return Workers(jobs, target, encode)


class _Printer:
    """Writes each output object as it comes (the pipeline hands them over in output order):
    to stdout as one stream, or as one file each under ``directory``."""

    def __init__(self, format: str, directory: str | None) -> None:
        from ingress2gateway.writing.formats import DocumentStream

        self.format = format
        self.directory = directory
        self.written: list[Path] = []
        self.stream = DocumentStream(format, _write_stdout)

    def encode(self, body: JSONDict) -> str:
        from ingress2gateway.writing.formats import encode

        return encode(body, self.format)

    def add(self, item: Emitted) -> None:
        """Write ``item``'s text (encoded by :meth:`encode`, perhaps in a worker process)."""
        from ingress2gateway.writing.formats import output_path, write_document

        text = item.text if item.text is not None else self.encode(item.body)
        if self.directory is None:
            self.stream.add(text)
        else:
            relative = output_path(item.body, self.format)
            self.written.append(write_document(self.directory, relative, text))

    @property
    def count(self) -> int:
        return len(self.written) if self.directory is not None else self.stream.count

    def close(self) -> None:
        if self.directory is None:
            self.stream.close()  # an empty JSON List; nothing for an empty YAML stream
        _flush_stdout()

    def prune(self, inputs: Sequence[str], input_errors: int, result: Result) -> bool:
        """``--prune``: remove what the tool wrote under the directory earlier and did not
        write now (:mod:`ingress2gateway.writing.prune`). Not after input errors or objects
        left out as invalid: what is no longer generated is then unknown, and pruning would
        delete the files of objects that are only missing this time. Whether it pruned."""
        from pathlib import Path

        from ingress2gateway.writing.prune import apply_removals, stale_files, write_edited
        from ingress2gateway.writing.sync import Inputs

        assert self.directory is not None
        left_out = sum(1 for n in result.report.notifications if n.code == "output-invalid")
        if input_errors or left_out:
            why = "input errors" if input_errors else f"{left_out} output-invalid error(s)"
            click.echo(
                f"error: --prune removed nothing: {why} leave what is no longer generated "
                "unknown; fix them (or pass --emit-invalid) and run again",
                err=True,
            )
            return False
        plans = stale_files(self.directory, self.written, Inputs.of(inputs))
        write_edited(plans)
        apply_removals(
            plans, Path(self.directory), lambda line: click.echo(printable(line), err=True)
        )
        return True


_findings_options = _options(
    click.option(
        "--format",
        "output_format",
        type=click.Choice(["text", "json", "sarif", "github"]),
        default="text",
        show_default=True,
        help="text (file:line:col: level code message), json, sarif (SARIF 2.1.0) or github (Actions annotations).",
    ),
    click.option(
        "--fail-on",
        type=click.Choice(FAIL_ON),
        default="warning",
        show_default=True,
        help="Exit 1 when a finding of this level (or worse) is reported.",
    ),
)


def _context_paths(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """``check --context`` names files or directories; print's ``--context`` (a kubeconfig
    context) is another thing, which the message says."""
    for path in value:
        if not os.path.exists(path):
            raise click.BadParameter(
                f"{printable(path)}: no such file or directory (check's --context names "
                "manifests to read beside FILES; check never reads a cluster)",
                ctx,
                param,
            )
    return value


def _known_emitter(name: str) -> None:
    """An unknown --emitter is a usage error even where nothing is converted."""
    from ingress2gateway.registry import load_emitter

    load_emitter(name)


_emit_invalid_option = click.option(
    "--emit-invalid",
    is_flag=True,
    help="As print --emit-invalid (its findings say the objects would be printed).",
)


@main.command("check")
@_providers_option(required=False)
@_findings_options
@click.option("--show-info", is_flag=True, help="Also report info-level findings.")
@click.option(
    "--context",
    "context",
    multiple=True,
    metavar="PATH",
    callback=_context_paths,
    help="Read the manifests of PATH (file or directory) with FILES, to resolve Services, "
    "IngressClasses, ConfigMaps and canaries' primary Ingresses; report only FILES. "
    "Repeatable. Default: the *.yaml|*.yml|*.json files of the git work tree FILES are in "
    "(tracked, or untracked and not ignored); none outside git.",
)
@click.option("--no-context", is_flag=True, help="Read FILES alone.")
@_emitter_options
@_emit_invalid_option
@_target_options
@_conversion_options
@_namespace_options
@click.argument("files", nargs=-1, type=click.Path())
def check_command(files: tuple[str, ...], **kw: Any) -> None:
    """Report what in FILES cannot be carried over to Gateway API (for CI and pre-commit).

    It takes print's conversion flags and reports what print would with them. Files without
    Ingress or vendor routing objects pass silently.
    """
    from ingress2gateway.cli.check import run_check
    from ingress2gateway.reading.context import files_under, git_work_tree_files
    from ingress2gateway.reporting.findings import render
    from ingress2gateway.reporting.report import Level

    if not files:
        raise UsageError("check needs at least one file")
    _known_emitter(kw["emitter"])
    if kw["no_context"] and kw["context"]:
        raise UsageError("--context and --no-context cannot be used together")
    if kw["no_context"]:
        context: list[str] = []
    elif kw["context"]:
        context = files_under(kw["context"])
    else:
        context = git_work_tree_files(files)
    result = run_check(
        files,
        _split_csv(kw["providers"]),
        # As in kubectl (and print), -A wins over -n.
        options=convert_options(kw, None if kw["all_namespaces"] else kw["namespace"]),
        emitter=kw["emitter"],
        emitter_options=_key_values(kw["emitter_option"], "--emitter-option"),
        gateway_api_version=kw["gateway_api_version"],
        channel=channel_of(kw),
        emit_invalid=kw["emit_invalid"],
        min_level=Level.INFO if kw["show_info"] else Level.WARNING,
        context=context,
    )
    _echo_stdout(render(result.findings, kw["output_format"]))
    if result.fails(kw["fail_on"]):
        sys.exit(1)


@main.command("validate")
@_findings_options
@_emitter_options
@_target_options
@click.argument("files", nargs=-1, type=click.Path())
def validate_command(files: tuple[str, ...], **kw: Any) -> None:
    """Validate Gateway API and implementation manifests in FILES as the API server would.

    FILES may be directories (read recursively, as print --output-dir writes them). Other
    objects are ignored, so this can run on every YAML file of a repository. --emitter is
    accepted (and checked) so that both hooks can share their args; every object the tool
    has a schema for (Gateway API, and the kinds of the implementations the emitters target)
    is validated, whichever emitter made it. In text format, a count ends
    the output on stderr.
    """
    from ingress2gateway.cli.check import run_validate
    from ingress2gateway.reporting.findings import render

    if not files:
        raise UsageError("validate needs at least one file")
    _known_emitter(kw["emitter"])
    result = run_validate(
        files, gateway_api_version=kw["gateway_api_version"], channel=channel_of(kw)
    )
    _echo_stdout(render(result.findings, kw["output_format"], summary=result.summary))
    if kw["output_format"] == "text" and result.summary is not None:
        click.echo(result.summary.line(), err=True)
    if result.fails(kw["fail_on"]):
        sys.exit(1)


@main.command("diff")
@_providers_option(required=True)
@_input_option
@click.option(
    "--against",
    required=True,
    metavar="PATH|cluster",
    help="Committed Gateway API manifests (file or directory), or `cluster` for the live objects.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: a unified diff per object, as kubectl diff; json: the same per object, "
    "with its group, kind, namespace, name, change and file.",
)
@click.option(
    "--write",
    is_flag=True,
    help="Update --against PATH to the generated resources, each file atomically. In a file, "
    "the documents ingress2gateway generated (generator annotation) are updated, removed or "
    "added; comments and other objects are kept. A directory gets one file per new object, "
    "as --output-dir lays them out; a file whose every document is the tool's and no longer "
    "generated is removed (and a directory this empties). Refused (exit 2, nothing "
    "written): an input file or a path in an input directory; a file holding non-Kubernetes "
    "documents, Gateway API objects not generated now, or nothing of ingress2gateway's.",
)
@_emitter_options
@_target_options
@click.option(
    "--emit-invalid",
    is_flag=True,
    help="Compare with what print --emit-invalid prints (objects that fail validation too).",
)
@_conversion_options
@_cluster_options
def diff_command(**kw: Any) -> None:
    """Show how generated resources differ from committed or live ones: a unified diff of
    each object that differs, as kubectl diff shows it (both sides normalised: server fields
    dropped, defaults applied, set-like lists in one order). The conversion flags are those
    of print: the comparison is with what print prints with the same flags.

    Exit codes, as kubectl diff: 0 in sync (or --write brought them in sync), 1 they differ,
    2 an error (input or committed manifests that cannot be read, a cluster error, a refused
    --write, a usage error).
    """
    from ingress2gateway.cli.diff import (
        EXIT_DIFFERS,
        EXIT_ERROR,
        diff_objects,
        errors_exit_2,
        object_key,
        render_json,
        render_text,
        summary,
    )

    with errors_exit_2():
        providers = _split_csv(kw["providers"])
        if not providers:
            raise UsageError("--providers needs at least one name")
        if kw["write"] and kw["against"] == "cluster":
            raise UsageError("--write needs --against PATH (it never changes a cluster)")
        report = Recorder()
        objects, namespace, input_errors = _load(kw, providers, report)
        _write_input_errors(report)
        if input_errors:
            sys.exit(EXIT_ERROR)
        result = convert_as_asked(objects, providers, kw, convert_options(kw, namespace), report)
        existing = _existing_objects(kw, result.target, result.resources)
        diffs = diff_objects(
            result.resources,
            [data for data, _ in existing],
            result.target,
            files={object_key(data): file for data, file in existing},
            committed="live" if kw["against"] == "cluster" else "committed",
        )
        plans = _plan_write(kw, result.resources, diffs, existing) if kw["write"] else None
        _echo_stdout(render_json(diffs) if kw["output_format"] == "json" else render_text(diffs))
        if diffs:
            click.echo(summary(diffs), err=True)
        if plans is None:
            if diffs:
                sys.exit(EXIT_DIFFERS)
            return
        _write_against(kw["against"], plans, diffs)


def _existing_objects(
    kw: dict[str, Any], target: Any, generated: Sequence[JSONDict] = ()
) -> list[tuple[JSONDict, str | None]]:
    """The committed (or live) objects of the kinds emitters write, each with the file
    it is in. From a cluster: the Gateway API kinds of ``target`` and the other kinds among
    the ``generated`` objects (an emitter's policies)."""
    from ingress2gateway.cli.check import is_output_kind

    if kw["against"] == "cluster":
        from ingress2gateway.cli.diff import other_resources
        from ingress2gateway.reading.cluster import ClusterSelection, read_cluster

        kinds = gateway_api_resources(target)
        kinds += other_resources(generated, kinds)
        selection = ClusterSelection(
            kw["kubeconfig"],
            kw["kube_context"],
            kw["namespace"],
            kw["all_namespaces"],
            kw["request_timeout"],
        )
        read = read_cluster(selection, kinds, Recorder())
        return [(o.data, None) for o in read.objects]
    from pathlib import Path

    from ingress2gateway.reading.manifests import read_inputs

    path = Path(kw["against"])
    if not path.exists():
        return []  # nothing committed yet: everything would be created
    report = Recorder()
    loaded = read_inputs([path], report=report)
    if loaded.errors:
        _write_input_errors(report)
        raise I2GError(f"{path}: cannot read the committed manifests")
    return [(o.data, o.origin.file) for o in loaded.objects if is_output_kind(o.group, o.kind)]


def gateway_api_resources(target: Any) -> list[ResourceKind]:
    """The Gateway API kinds of ``target`` as cluster resources (for ``diff --against cluster``)."""
    from ingress2gateway.objects import ResourceKind

    plurals = {
        "Gateway": "gateways",
        "HTTPRoute": "httproutes",
        "GRPCRoute": "grpcroutes",
        "TLSRoute": "tlsroutes",
        "TCPRoute": "tcproutes",
        "UDPRoute": "udproutes",
        "ReferenceGrant": "referencegrants",
        "BackendTLSPolicy": "backendtlspolicies",
    }
    kinds = []
    for kind, plural in plurals.items():
        api_version = target.api_version_for(kind)
        if api_version:
            group, _, version = api_version.rpartition("/")
            kinds.append(ResourceKind(group, version, plural, kind))
    return kinds


def _plan_write(
    kw: dict[str, Any],
    resources: Sequence[JSONDict],
    diffs: Sequence[ObjectDiff],
    existing: Sequence[tuple[JSONDict, str | None]],
) -> list[FilePlan]:
    """The files ``diff --write`` changes and their new text, and those it removes, all
    decided (or refused, see :mod:`ingress2gateway.writing.sync`) before anything is
    written."""
    from pathlib import Path

    from ingress2gateway.cli.diff import object_key
    from ingress2gateway.writing.formats import output_path
    from ingress2gateway.writing.sync import Inputs, plan_file, plan_prune

    against = kw["against"]
    inputs = Inputs.of(kw["inputs"])
    differing = {d.key for d in diffs if d.change != "removed"}
    path = Path(against)
    if not _is_directory(against):
        inputs.refuse_if_read(path)
        return [plan_file(path, resources, differing)] if diffs else []
    # A directory: an object committed there is updated in the file that holds it; a new one
    # gets its own file, as --output-dir lays them out. Only the files of objects that differ
    # are planned.
    committed_in = {object_key(data): Path(file) for data, file in existing if file}
    by_file: dict[Path, list[JSONDict]] = {}
    for obj in resources:
        file = committed_in.get(object_key(obj)) or path / output_path(obj, "yaml")
        if not file.exists() and (path / output_path(obj, "json")).exists():
            file = path / output_path(obj, "json")  # written by print -o json --output-dir
        by_file.setdefault(file, []).append(obj)
    gone = {d.key for d in diffs if d.change == "removed"}
    pruned = {Path(file) for data, file in existing if file and object_key(data) in gone}
    plans = []
    for file, objects in by_file.items():
        if file in pruned or any(object_key(obj) in differing for obj in objects):
            inputs.refuse_if_read(file)
            plans.append(plan_file(file, objects, differing))
    # Files holding only objects no longer generated: removed if every document is the
    # tool's, else rid of the tool's documents; refused if one is a Gateway API object the
    # tool did not generate (it would stay in every diff; deleting it would lose it).
    for file in sorted(pruned - set(by_file)):
        inputs.refuse_if_read(file)
        plan = plan_prune(file)
        if plan is not None:
            plans.append(plan)
    return plans


def _is_directory(against: str) -> bool:
    """Whether ``diff --against`` names a directory: an existing one, or a path ending in /."""
    from pathlib import Path

    return Path(against).is_dir() or against.endswith(("/", "\\"))


def _write_against(against: str, plans: Sequence[FilePlan], diffs: Sequence[ObjectDiff]) -> None:
    """Write the planned files, then remove those that go (and the directories this empties),
    naming on stderr what was removed. A single file the user named is followed through a
    symbolic link and synced to the disk; a directory's files are neither (they are the
    tool's, and many: see :mod:`ingress2gateway.writing.atomic`)."""
    from pathlib import Path

    from ingress2gateway.cli.diff import DiffError
    from ingress2gateway.writing.atomic import write_text
    from ingress2gateway.writing.prune import apply_removals

    one_file = not _is_directory(against)
    written = 0
    for plan in plans:
        if plan.changed and not plan.delete:
            write_text(
                plan.path,
                plan.text,
                what="the manifests",
                durable=one_file,
                follow_symlinks=one_file,
                make_parents=True,
            )
            written += 1
    if written:
        what = against if one_file else f"{written} file(s) under {against}"
        click.echo(f"wrote {printable(what)}", err=True)
    apply_removals(
        plans,
        None if one_file else Path(against),
        lambda line: click.echo(printable(line), err=True),
    )
    removed = {key for plan in plans for key in plan.removed}
    left = [d for d in diffs if d.change == "removed" and d.key not in removed]
    if left:  # every planned file was read back: this would be a bug
        raise DiffError(
            f"{left[0].file or against}: {left[0].key[1]} {left[0].key[3]} is no longer "
            "generated and was not removed (please report this bug)"
        )


def _key_values(values: Sequence[str], flag: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for value in values:
        key, sep, setting = value.partition("=")
        if not sep or not key:
            raise UsageError(f"{flag} {value!r}: expected KEY=VALUE")
        pairs[key] = setting
    return pairs


def _read_cluster(
    kw: dict[str, Any], providers: list[str], report: Recorder, stderr: TextIO
) -> tuple[list[Any], str | None]:
    from ingress2gateway.reading.cluster import ClusterSelection, read_cluster
    from ingress2gateway.registry import canonical_provider, load_provider

    resources = []
    for name in providers:
        for resource in load_provider(canonical_provider(name)).resources:
            if resource not in resources:
                resources.append(resource)
    selection = ClusterSelection(
        kubeconfig=kw["kubeconfig"],
        context=kw["kube_context"],
        namespace=kw["namespace"],
        all_namespaces=kw["all_namespaces"],
        request_timeout=kw["request_timeout"],
    )
    progress = stderr if stderr.isatty() and not kw.get("quiet") else None
    read = read_cluster(selection, resources, report, progress=progress)
    objects = list(read.objects)
    options = convert_options(kw, None)
    for name in providers:
        provider = load_provider(canonical_provider(name))
        for resource, namespace in provider.cluster_reads(options):
            fixed = ClusterSelection(
                kw["kubeconfig"],
                kw["kube_context"],
                namespace,
                namespace is None and kw["all_namespaces"],
                kw["request_timeout"],
            )
            objects.extend(read_cluster(fixed, [resource], report, progress=progress).objects)
    # The cluster read already applied the namespace; no second filter.
    return objects, None


def _write_report(path: str, result: Result) -> None:
    """The JSON report, whole or not at all (an old report stays if this one fails)."""
    from ingress2gateway.writing.atomic import write_file

    write_file(
        path,
        lambda handle: result.write_report(handle.write),
        what="the report",
        durable=True,
        follow_symlinks=True,
    )


VERIFY_FAIL_ON = ("unexplained", "difference", "never")


@main.command("verify")
@_providers_option(required=True)
@_input_option
@click.option(
    "--against",
    default=None,
    metavar="PATH",
    help="Gateway API manifests (file or directory) to check as the migration of the input; "
    "default: the objects this tool makes of it.",
)
@_emitter_options
@click.option(
    "-o",
    "--output",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
@click.option(
    "--fail-on",
    type=click.Choice(VERIFY_FAIL_ON),
    default="unexplained",
    show_default=True,
    help="Exit 1 on a difference the report does not explain (unexplained), on any difference, "
    "or never.",
)
@_target_options
@_conversion_options
@_cluster_options
def verify_command(**kw: Any) -> None:
    """Check, request by request, that the migration routes as the source controller did.

    A model of the source controller and a model of Gateway API answer the same requests;
    every difference is shown, with the notifications of the report that explain it.
    """
    from ingress2gateway.verification.compare import compare
    from ingress2gateway.verification.render import render_text
    from ingress2gateway.verification.run import intended_differences, source_model

    providers = _split_csv(kw["providers"])
    if not providers:
        raise UsageError("--providers needs at least one name")
    report = Recorder()
    objects, namespace, input_errors = _load(kw, providers, report)
    _write_input_errors(report)
    if input_errors:
        sys.exit(1)
    options = convert_options(kw, namespace)
    result = convert_as_asked(objects, providers, kw, options, report)
    output = result.resources if kw["against"] is None else _against_objects(kw["against"])
    model = source_model(objects, providers, options)
    intended = intended_differences(providers)
    found = compare(model, model.requests(), output, report, intended)
    if kw["output_format"] == "json":
        import json

        click.echo(json.dumps(found.to_json(), indent=2, sort_keys=True))
    else:
        click.echo(render_text(found), nl=False)
    if found.fails(kw["fail_on"]):
        sys.exit(1)


def _against_objects(path_text: str) -> list[JSONDict]:
    """The objects of the kinds emitters write in ``path_text``, for ``verify``."""
    from pathlib import Path

    from ingress2gateway.cli.check import is_output_kind
    from ingress2gateway.reading.manifests import read_inputs

    path = Path(path_text)
    if not path.exists():
        raise UsageError(f"--against {path_text}: no such file or directory")
    report = Recorder()
    loaded = read_inputs([path], report=report)
    if loaded.errors:
        _write_input_errors(report)
        raise I2GError(f"{path}: cannot read the manifests to verify")
    return [o.data for o in loaded.objects if is_output_kind(o.group, o.kind)]


@main.command("providers")
@click.argument("names", nargs=-1)
def providers_command(names: tuple[str, ...]) -> None:
    """List providers and their options (or describe the named ones: also their catalog and
    notification codes). A provider that fails to load is named on stderr (exit 1)."""
    from ingress2gateway.registry import load_provider, provider_names, provider_specs

    specs = provider_specs()
    failed = False
    for name in names or tuple(provider_names()):
        try:
            provider = load_provider(name)
        except UsageError as exc:
            if names:
                raise
            click.echo(f"error: {printable(str(exc))}", err=True)
            failed = True
            continue
        origin = specs[provider.name][0]
        where = "" if origin.builtin else f" [{origin.distribution}]"
        aliases = f" (aliases: {', '.join(provider.aliases)})" if provider.aliases else ""
        click.echo(f"{provider.name}{aliases}{where}: {provider.description}")
        kinds = ", ".join(sorted({r.kind for r in provider.resources}))
        click.echo(f"  reads: {kinds}")
        if provider.options:
            click.echo(
                f"  options (--provider-option {provider.name}.KEY=VALUE, or the flag "
                f"--{provider.name}-KEY):"
            )
            click.echo(format_options(provider.options))
        if names and provider.codes:
            click.echo("  notification codes:")
            width = max(len(code) for code in provider.codes)
            for code, meaning in sorted(provider.codes.items()):
                click.echo(f"    {code.ljust(width)}  {meaning}")
        rows = provider.catalog_rows() if names else ()
        if rows:
            click.echo(format_catalog(rows))
    if failed:
        sys.exit(1)


def format_options(options: Sequence[Any]) -> str:
    """The lines of an options listing: ``KEY=TYPE  help (default: …)``."""
    width = max(len(f"{o.name}={o.metavar}") for o in options)
    lines = []
    for spec in options:
        default = f" (default: {spec.shown_default})" if spec.default is not None else ""
        lines.append(f"    {f'{spec.name}={spec.metavar}'.ljust(width)}  {spec.help}{default}")
    return "\n".join(lines)


def format_catalog(rows: Sequence[Any]) -> str:
    """A plain-text table of a provider's catalog."""
    headers = ("key", "status", "scope", "risk", "what happens")
    table = [headers] + [(r.key, r.status, r.scope, r.risk, r.note) for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    lines = []
    for row in table:
        cells = [row[i].ljust(widths[i]) for i in range(4)]
        lines.append("  " + "  ".join(cells) + "  " + row[4])
    return "\n".join(lines)


@main.command("version")
def version_command() -> None:
    """Print the version and the installed providers and emitters."""
    from ingress2gateway.registry import emitter_specs, provider_specs

    click.echo(f"ingress2gateway {__version__}")
    click.echo(f"python {sys.version.split()[0]}")
    for label, specs in (("providers", provider_specs()), ("emitters", emitter_specs())):
        parts = []
        for name in sorted(specs):
            owners = ", ".join(
                "built-in" if s.builtin else s.distribution or "unknown" for s in specs[name]
            )
            parts.append(f"{name} ({owners})")
        click.echo(f"{label}: {'; '.join(parts)}")


if __name__ == "__main__":  # pragma: no cover
    main()
