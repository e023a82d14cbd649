from __future__ import annotations

from ingress2gateway.cli import run

run()
