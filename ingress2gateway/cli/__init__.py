"""The command line: ``ingress2gateway print|check|validate|diff|verify|plan|providers|version``."""

from ingress2gateway.cli import plan as _plan  # noqa: F401  (registers `plan` on main)
from ingress2gateway.cli.commands import main, run

__all__ = ["main", "run"]
