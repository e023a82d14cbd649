"""Errors that reach users as one line on stderr (never a traceback).

Exit codes (documented in the README): 0 done, 1 input or conversion errors (or findings at
``--fail-on``), 2 usage errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ingress2gateway.objects import KubeObject


class I2GError(Exception):
    """An error the CLI prints as ``error: <message>`` and exits with :attr:`exit_code`."""

    exit_code = 1


def internal_error(exc: BaseException) -> str:
    """The one line an unexpected exception becomes (``I2G_DEBUG=1`` shows its traceback)."""
    return (
        f"internal error: {type(exc).__name__}: {exc} (please report this bug; set "
        "I2G_DEBUG=1 for details)"
    )


class InputError(I2GError):
    """Unreadable input: the message names the file and line and says what to do."""


class ClusterError(I2GError):
    """The cluster could not be read (unreachable, forbidden, bad kubeconfig)."""


class UsageError(I2GError):
    """Bad flags or arguments."""

    exit_code = 2


@dataclass(frozen=True)
class InputProblem:
    """A document or file that could not be read: where, and what is wrong with it."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return (
            f"{self.file}:{self.line}: {self.message}"
            if self.line
            else f"{self.file}: {self.message}"
        )


class ManifestError(InputError):
    """Some of the input could not be read (see :func:`ingress2gateway.load_manifests`).

    ``problems`` says what and where; ``objects`` holds everything that could be read, for a
    caller that wants to go on without the rest.
    """

    def __init__(self, problems: list[InputProblem], objects: list[KubeObject]) -> None:
        first = str(problems[0]) if problems else "unreadable input"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(first + more)
        self.problems = problems
        self.objects = objects
