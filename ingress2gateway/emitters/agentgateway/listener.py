"""Client-side settings of a Gateway → ``AgentgatewayPolicy`` ``spec.frontend`` (which may
target a Gateway only, never a listener or a route: the CRD's CEL).

* **Client idle timeout** (ConfigMap ``keep-alive``) → ``frontend.http.http1IdleTimeout``
  (at least 1s, the CRD's minimum). The header and body read timeouts have no field (noted).
  A zero keep-alive (nginx closes at once) is left to the report.
"""

from __future__ import annotations

from ingress2gateway.ir import ClientTimeouts
from ingress2gateway.reporting.report import Status

from ._base import POLICY, Contribution, MapEnv, Mapper, duration


def client_timeouts(ext: ClientTimeouts, env: MapEnv) -> Contribution | None:
    if env.route_kind is not None:
        return None  # frontend settings target a Gateway only
    idle = duration(ext.idle, minimum_ms=1000)
    if idle is None:
        return None
    notes = []
    if ext.request_headers is not None:
        notes.append("the time allowed for the request header is not carried")
    if ext.body_idle is not None:
        notes.append("the time between two reads of the request body is not carried")
    return Contribution(
        POLICY,
        {"frontend": {"http": {"http1IdleTimeout": idle}}},
        Status.PARTIAL if notes else Status.CONVERTED,
        "; ".join(notes) or None,
    )


MAPPERS: dict[type, Mapper] = {ClientTimeouts: client_timeouts}
