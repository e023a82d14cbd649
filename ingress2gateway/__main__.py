from __future__ import annotations

from ingress2gateway.cli import main

main(prog_name="ingress2gateway")
