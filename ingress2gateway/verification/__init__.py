"""``verify``: prove, request by request, that migrated objects route as the source did.

Two independent models answer the same requests: a model of the source controller over the
input (each provider's ``controller_model``), and a model of Gateway API over the output
(:mod:`.gateway`). Neither shares code with the converter: an oracle that shares the
converter's misunderstanding finds nothing. See ``docs/verify.md``.
"""

from __future__ import annotations

from ingress2gateway.verification.compare import Difference, VerifyResult
from ingress2gateway.verification.model import Request

__all__ = ["Difference", "Request", "VerifyResult"]
