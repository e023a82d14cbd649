"""The command line: ``ingress2gateway print|check|validate|diff|verify|providers|version``."""

from ingress2gateway.cli.commands import main, run

__all__ = ["main", "run"]
