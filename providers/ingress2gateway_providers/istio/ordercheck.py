"""Sample requests that show whether Gateway API keeps Istio's first match, and the matches
that make it keep it.

For each match of a group of routes (the ``http[]`` routes of one VirtualService that apply on
the same listeners and hosts), the requests at its boundaries are tried: its path, with and
without a trailing slash, a sub-path, the paths that continue a prefix without a slash
(``/api`` → ``/apix``), the bare directory of a prefix ending in ``/``, each with and without the
match's header, method and query conditions (and, for ``withoutHeaders``, with the header).
Istio's answer is the first match, in list order, whose :class:`~.conditions.Condition` takes
the request; Gateway API's is the best-ranked converted match that takes it (see
:mod:`.matching`).

:func:`complete` adds the matches that segment prefixes lack: a regular expression for the paths
that continue a character prefix (``CHAR``) where another rule would take them, and an exact
match for a bare directory, on the route Istio sends it to. :func:`differences` lists what
still routes differently, for the report.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .conditions import Condition, Probe
from .matching import Entry, gw_takes, rank
from .paths import CHAR, EXACT, PathSet

MAX_PROBES = 4000


def _path_probes(condition: Condition) -> list[str]:
    uri = condition.uri
    if uri is None or uri.kind == "present":
        return ["/", "/probe"]
    if uri.kind == "regex":
        sample = uri.sample()
        return [sample] if sample.startswith("/") else []
    value = uri.value if uri.value.startswith("/") else "/" + uri.value
    bare = value.rstrip("/")
    found = [value, bare + "/x"]
    if uri.kind == "prefix":
        found += [value + "x", value + "x/y", value + "-"]
        if value.endswith("/") and bare:
            found.append(bare)
    else:
        found.append(bare if value.endswith("/") and bare else value + "/")
    if condition.ignore_case:
        found += [p.upper() for p in found]
    return found


def _condition_variants(
    condition: Condition,
) -> list[tuple[tuple[tuple[str, str], ...], str, tuple[tuple[str, str], ...]]]:
    """(headers, method, query) variants: none, the match's own, its own with each
    ``withoutHeaders`` header sent."""
    headers = tuple((name, m.sample()) for name, m in condition.headers if m.kind != "never")
    query = tuple((name, m.sample()) for name, m in condition.query)
    method = condition.method.sample() if condition.method is not None else "GET"
    variants = [((), "GET", ()), (headers, method, query)]
    for name, unwanted in condition.without:
        variants.append(((*headers, (name, unwanted.sample())), method, query))
    return variants


def probes_for(entries: Sequence[Entry]) -> list[Probe]:
    found: dict[Probe, None] = {}
    literals = [
        e.condition.uri.value
        for e in entries
        if e.condition.uri is not None and e.condition.uri.kind in ("exact", "prefix")
    ]
    for entry in entries:
        paths = _path_probes(entry.condition)
        uri = entry.condition.uri
        if uri is not None and uri.kind == "prefix":
            # The literal paths of other matches that continue this prefix without a slash.
            for value in literals:
                size = len(uri.value)
                if value.startswith(uri.value) and len(value) > size and value[size] != "/":
                    paths += [value, value.rstrip("/") + "/y"]
        for path in paths:
            for headers, method, query in _condition_variants(entry.condition):
                found.setdefault(Probe(path, tuple(sorted(headers)), method, tuple(query)), None)
                if len(found) >= MAX_PROBES:
                    return list(found)
    return list(found)


def istio_winner(entries: Iterable[Entry], probe: Probe) -> Entry | None:
    """The first Istio match, in list order, that takes ``probe``."""
    return next((e for e in entries if e.condition.matches(probe)), None)


def gw_winner(entries: Sequence[Entry], probe: Probe) -> Entry | None:
    """The Gateway API match that takes ``probe``: the best ranked; on a tie the one whose
    route sorts first, then the earlier rule and match."""
    headers = {k.lower(): v for k, v in probe.headers}
    query: dict[str, str] = {}
    for name, value in probe.query:
        query.setdefault(name, value)
    best: tuple[tuple[int, ...], tuple[str, str], int, int] | None = None
    winner = None
    for position, entry in enumerate(entries):
        if not gw_takes(entry, probe.path, headers, probe.method, query):
            continue
        key = (tuple(-x for x in rank(entry)), entry.route, entry.group, position)
        if best is None or key < best:
            best, winner = key, entry
    return winner


def complete(istio: Sequence[Entry], entries: list[Entry]) -> list[Entry]:
    """``entries`` with the matches segment prefixes lack (see the module documentation):
    for each character prefix whose continuing paths another rule would take, its ``CHAR``
    expression; for each bare directory a prefix ending in ``/`` takes that Istio sends
    elsewhere, an exact match on that route."""
    probes = probes_for(istio)
    winners = {probe: istio_winner(istio, probe) for probe in probes}
    out = list(entries)
    added: list[Entry] = []
    for entry in istio:
        uri = entry.condition.uri
        if uri is None or uri.kind != "prefix" or entry.condition.ignore_case:
            continue
        value = uri.value
        if value.rstrip("/") and not value.endswith("/"):
            wanted = PathSet(CHAR, value)
            if _needed(winners, out, entry, wanted):
                added.append(entry.copy(path=wanted))
        elif value.rstrip("/"):
            added.extend(_bare_directory(istio, winners, out, entry, value.rstrip("/")))
    for extra in added:
        position = max((k for k, e in enumerate(out) if e.group == extra.group), default=-1)
        out.insert(position + 1, extra)
    return out


def _needed(
    winners: dict[Probe, Entry | None], entries: Sequence[Entry], entry: Entry, wanted: PathSet
) -> bool:
    """Whether some request of ``wanted`` that Istio gives ``entry`` goes elsewhere."""
    for probe, winner in winners.items():
        if winner is not entry or not wanted.has(probe.path):
            continue
        taker = gw_winner(entries, probe)
        if taker is None or taker.group != entry.group:
            return True
    return False


def _bare_directory(
    istio: Sequence[Entry],
    winners: dict[Probe, Entry | None],
    entries: Sequence[Entry],
    entry: Entry,
    bare: str,
) -> list[Entry]:
    """Exact copies, on the routes Istio gives ``bare`` to, of their matches."""
    taken = any(
        probe.path == bare and winner is not entry and gw_winner(entries, probe) is entry
        for probe, winner in winners.items()
    )
    if not taken:
        return []
    copies = []
    for later in istio[istio.index(entry) + 1 :]:
        if later.group == entry.group or not later.condition.path_matches(bare):
            continue
        if not (later.path is None or later.path.has(bare)):
            continue
        # Only where Istio gives the bare directory to this route (with its conditions).
        headers, method, query = _condition_variants(later.condition)[1]
        probe = Probe(bare, tuple(sorted(headers)), method, tuple(query))
        if istio_winner(istio, probe) is later:
            copies.append(later.copy(path=PathSet(EXACT, bare)))
    return copies


@dataclass(frozen=True)
class Difference:
    """A sample request Gateway API routes elsewhere than Istio."""

    probe: Probe
    istio: Entry | None
    gateway: Entry | None


def differences(istio: Sequence[Entry], entries: Sequence[Entry]) -> list[Difference]:
    """The sample requests whose Istio route and Gateway API rule differ."""
    found = []
    for probe in probes_for(istio):
        expected = istio_winner(istio, probe)
        actual = gw_winner(entries, probe)
        expected_group = None if expected is None else expected.group
        actual_group = None if actual is None else actual.group
        if expected_group != actual_group:
            found.append(Difference(probe, expected, actual))
    return found
