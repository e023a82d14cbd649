from __future__ import annotations

from ingress2gateway.cli.commands import run

run()
