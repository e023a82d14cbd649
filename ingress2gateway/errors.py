"""Errors that reach users as one line on stderr (never a traceback).

Exit codes (documented in the README): 0 done, 1 input or conversion errors (or findings at
``--fail-on``), 2 usage errors.
"""

from __future__ import annotations


class I2GError(Exception):
    """An error the CLI prints as ``error: <message>`` and exits with :attr:`exit_code`."""

    exit_code = 1


class InputError(I2GError):
    """Unreadable input: the message names the file and line and says what to do."""


class ClusterError(I2GError):
    """The cluster could not be read (unreachable, forbidden, bad kubeconfig)."""


class UsageError(I2GError):
    """Bad flags or arguments."""

    exit_code = 2
