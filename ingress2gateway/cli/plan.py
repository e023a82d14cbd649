"""``ingress2gateway plan``: the migration plan of a conversion, as Markdown, HTML or JSON.

It converts as ``print`` does (the same conversion flags), runs ``verify`` where the
providers have a model of their controller (``--no-verify`` skips it), and writes the plan
(:mod:`ingress2gateway.planning`) to stdout or ``--output``. Exit codes as ``print``: 0, 1 on
input errors (the plan of what could be read is still written), 2 on usage errors.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from ingress2gateway.cli.commands import (
    _cluster_options,
    _conversion_options,
    _echo_stdout,
    _emitter_options,
    _input_option,
    _load,
    _providers_option,
    _split_csv,
    _target_options,
    _write_input_errors,
    convert_as_asked,
    convert_options,
    main,
)
from ingress2gateway.errors import UsageError
from ingress2gateway.reporting.report import Recorder

if TYPE_CHECKING:
    from ingress2gateway.converting.pipeline import Result
    from ingress2gateway.objects import KubeObject
    from ingress2gateway.plugin import ConvertOptions
    from ingress2gateway.verification.compare import VerifyResult


@main.command("plan")
@_providers_option(required=True)
@_input_option
@_emitter_options
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["markdown", "html", "json"]),
    default="markdown",
    show_default=True,
    help="markdown (renders on GitHub), html (one self-contained page) or json (the data "
    "behind both; see docs/plan.md).",
)
@click.option(
    "--output",
    "output_file",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write the plan to this file (whole or not at all) instead of stdout.",
)
@click.option(
    "--verify/--no-verify",
    "run_verify",
    default=True,
    show_default=True,
    help="Check request by request that the output routes as the source controller did "
    "(where the providers have a model of it) and put the differences in the plan.",
)
@_target_options
@_conversion_options
@_cluster_options
def plan_command(**kw: Any) -> None:
    """Write a migration plan: a status per source object by namespace, one prioritised
    checklist, the cluster prerequisites, other tools' annotations to review, the cut-over
    steps per host, what verify found, and the policies that attach to each route."""
    from ingress2gateway.planning import make_plan, render

    providers = _split_csv(kw["providers"])
    if not providers:
        raise UsageError("--providers needs at least one name")
    report = Recorder()
    objects, namespace, input_errors = _load(kw, providers, report)
    options = convert_options(kw, namespace)
    result = convert_as_asked(objects, providers, kw, options, report)
    verified: VerifyResult | None = None
    why_not: str | None = "--no-verify was given"
    if kw["run_verify"]:
        verified, why_not = _verify(objects, result, options)
    plan = make_plan(result, verified, inputs=objects, not_verified=why_not)
    text = render(plan, kw["output_format"])
    if kw["output_file"]:
        from ingress2gateway.writing.atomic import write_text

        write_text(kw["output_file"], text, what="the plan", durable=True, follow_symlinks=True)
    else:
        _echo_stdout(text)
    _write_input_errors(report)
    if input_errors:
        sys.exit(1)


def _verify(
    objects: list[KubeObject], result: Result, options: ConvertOptions
) -> tuple[VerifyResult | None, str | None]:
    """What verify finds about ``result``, or why it cannot run (a provider without a model of
    its controller)."""
    from ingress2gateway.verification.compare import compare
    from ingress2gateway.verification.run import intended_differences, source_model

    try:
        model = source_model(objects, result.providers, options)
    except UsageError as exc:
        return None, str(exc)
    intended = intended_differences(result.providers)
    return compare(model, model.requests(), result.resources, result.report, intended), None
