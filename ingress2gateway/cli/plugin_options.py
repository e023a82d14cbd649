"""The command line's view of plug-in options: ``--provider-option``, ``--emitter-option`` and
the flags made from the options schemas of the installed plug-ins.

As the Go tool registers ``--<provider>-<flag>`` flags, every option a provider declares
(:class:`~ingress2gateway.plugin.OptionSpec`) becomes ``--PROVIDER-OPTION`` on the commands that
convert (``--nginx-annotation-prefix``, ``--istio-mesh-root-namespace``), and every emitter
option ``--EMITTER-OPTION`` on the commands that take ``--emitter``. A flag is the same setting
as ``--provider-option PROVIDER.OPTION=VALUE`` (``--emitter-option OPTION=VALUE``): both are
checked against the schema, and giving both with different values is a usage error. The flags
are made when a command parses its arguments or prints its help, not when the tool starts, so
``ingress2gateway --help`` imports no provider; a plug-in that fails to load gets no flags (its
error is said when it is used).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from ingress2gateway.errors import UsageError

if TYPE_CHECKING:
    from ingress2gateway.plugin import OptionSpec


@dataclass(frozen=True)
class PluginFlag:
    """One generated flag: ``--{plugin}-{option}``."""

    kind: str
    """``provider`` or ``emitter``"""
    plugin: str
    spec: OptionSpec

    @property
    def flag(self) -> str:
        return f"--{self.plugin}-{self.spec.name}"

    @property
    def dest(self) -> str:
        # A double underscore no parameter of a command has: they cannot clash.
        return f"{self.kind}_flag__{self.plugin}__{self.spec.name}".replace("-", "_")

    def option(self) -> click.Option:
        spec = self.spec
        default = "" if spec.default is None else f" Default: {spec.shown_default}."
        same = (
            f"--provider-option {self.plugin}.{spec.name}=…"
            if self.kind == "provider"
            else f"--emitter-option {spec.name}=… with --emitter {self.plugin}"
        )
        help_text = f"{self.plugin}: {spec.help}.{default} Same as {same}."
        if spec.type is bool:
            return click.Option(
                [f"{self.flag}/--no-{self.plugin}-{spec.name}", self.dest],
                default=None,
                help=help_text,
            )
        kind: click.ParamType[Any] = (
            click.Choice(spec.type)
            if isinstance(spec.type, tuple)
            else click.INT
            if spec.type is int
            else click.STRING
        )
        metavar = None if isinstance(spec.type, tuple) else spec.metavar  # click shows choices
        return click.Option(
            [self.flag, self.dest], type=kind, default=None, metavar=metavar, help=help_text
        )

    def setting(self, value: Any) -> str:
        """The flag's value as ``--provider-option`` / ``--emitter-option`` would give it."""
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        prefix = f"{self.plugin}." if self.kind == "provider" else ""
        return f"{prefix}{self.spec.name}={text}"


_WANTED = "ingress2gateway.plugin_flags"
"""``ctx.meta`` key: the plug-ins whose flags a command line can use (absent: all of them)."""


def plugin_flags(kind: str, name: str) -> tuple[PluginFlag, ...]:
    """The flags of the installed ``kind`` ``name``; none if it fails to load."""
    from ingress2gateway.registry import generation

    return _plugin_flags(kind, name, generation())


@functools.cache
def _plugin_flags(kind: str, name: str, generation: int) -> tuple[PluginFlag, ...]:
    from ingress2gateway.registry import load_emitter, load_provider

    try:
        plugin = load_provider(name) if kind == "provider" else load_emitter(name)
    except UsageError:
        return ()  # said when it is used by name
    return tuple(PluginFlag(kind, plugin.name, spec) for spec in plugin.options)


def _installed(kind: str) -> list[str]:
    from ingress2gateway.registry import emitter_names, provider_names

    return provider_names() if kind == "provider" else emitter_names()


class PluginCommand(click.Command):
    """A command that takes the flags of the installed plug-ins' options: provider flags when it
    has ``--provider-option``, emitter flags when it has ``--emitter-option``. Before the
    command runs, the flags are folded into those two options, and ``--emitter-option`` is
    checked against the chosen emitter (``--provider-option`` is checked where it is read,
    :func:`parse_provider_options`).

    Importing every installed plug-in to make its flags costs time (a second on a busy
    machine, for ``print --providers nginx`` that needs one provider): to parse a command line
    only the plug-ins whose name starts a long option of it are loaded (``--nginx-…``:
    ``nginx``); ``--help`` and shell completion load them all."""

    def _kinds(self) -> list[str]:
        names = {param.name for param in self.params}
        return [kind for kind in ("provider", "emitter") if f"{kind}_option" in names]

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # Shell completion parses resiliently, without the word being completed: it needs them
        # all (``--nginx-<TAB>``).
        if not ctx.resilient_parsing and not any(arg in ("-h", "--help") for arg in args):
            bodies = [
                arg[2:].split("=", 1)[0].removeprefix("no-") for arg in args if arg[:2] == "--"
            ]
            ctx.meta[_WANTED] = {
                (kind, name)
                for kind in self._kinds()
                for name in _installed(kind)
                if any(body.startswith(f"{name}-") for body in bodies)
            }
        return super().parse_args(ctx, args)

    def _flags(self, ctx: click.Context) -> tuple[list[PluginFlag], list[click.Option]]:
        """The generated flags this command line can use, with their click options."""
        wanted: set[tuple[str, str]] | None = ctx.meta.get(_WANTED)
        cache: dict[object, tuple[list[PluginFlag], list[click.Option]]] = ctx.meta.setdefault(
            f"{_WANTED}.made", {}
        )
        key = None if wanted is None else frozenset(wanted)
        if key in cache:
            return cache[key]
        taken = {opt for param in self.params for opt in (*param.opts, *param.secondary_opts)}
        flags: list[PluginFlag] = []
        for kind in self._kinds():
            for name in _installed(kind):
                if wanted is not None and (kind, name) not in wanted:
                    continue
                for flag in plugin_flags(kind, name):
                    negated = f"--no-{flag.flag[2:]}"
                    # A flag that would shadow one of the command's own (or an earlier
                    # plug-in's) is not made: --provider-option still reaches the setting.
                    if flag.flag in taken or negated in taken:
                        continue
                    taken.update((flag.flag, negated))
                    flags.append(flag)
        cache[key] = (flags, [flag.option() for flag in flags])
        return cache[key]

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        help_option = self.get_help_option(ctx)
        return [*self.params, *self._flags(ctx)[1], *([help_option] if help_option else [])]

    def invoke(self, ctx: click.Context) -> Any:
        for flag in self._flags(ctx)[0]:
            value = ctx.params.pop(flag.dest, None)
            if value is None:
                continue
            key = f"{flag.kind}_option"
            if flag.kind == "emitter" and ctx.params.get("emitter") != flag.plugin:
                raise UsageError(
                    f"{flag.flag} is an option of emitter {flag.plugin}, not of --emitter "
                    f"{ctx.params.get('emitter')}"
                )
            ctx.params[key] = (*ctx.params.get(key, ()), flag.setting(value))
        if "emitter_option" in ctx.params:
            ctx.params["emitter_option"] = emitter_settings(
                ctx.params.get("emitter") or "standard", ctx.params["emitter_option"]
            )
        return super().invoke(ctx)


def emitter_settings(emitter_name: str, values: Sequence[str]) -> tuple[str, ...]:
    """``--emitter-option KEY=VALUE`` values checked against the emitter's options schema, in
    their normal form."""
    from ingress2gateway.registry import emitter_options, load_emitter

    pairs = []
    for value in values:
        key, sep, setting = value.partition("=")
        if not sep or not key:
            raise UsageError(f"--emitter-option {value!r}: expected KEY=VALUE")
        pairs.append((key, setting))
    if not pairs:
        return ()
    checked = emitter_options(load_emitter(emitter_name), pairs)
    return tuple(f"{key}={value}" for key, value in checked.items())


def parse_provider_options(values: Sequence[str]) -> dict[str, dict[str, str]]:
    """``nginx.annotation-prefix=custom.io`` → ``{"nginx": {"annotation-prefix": "custom.io"}}``,
    checked against each provider's options schema (an alias names its provider)."""
    from ingress2gateway.registry import provider_options

    given = []
    for value in values:
        key, sep, setting = value.partition("=")
        provider, dot, name = key.partition(".")
        if not sep or not dot or not provider or not name:
            raise UsageError(f"--provider-option {value!r}: expected PROVIDER.KEY=VALUE")
        given.append((provider, name, setting))
    return provider_options(given)
