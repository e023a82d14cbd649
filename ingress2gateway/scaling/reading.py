"""YAML documents parsed by worker processes while this process reads on.

YAML parsing is the slow part of reading (PyYAML's C loader: ~3.5 s for 10k Ingresses), and
each document is parsed on its own: this process reads and splits the files
(:mod:`ingress2gateway.reading.manifests`), workers parse batches of about
:data:`~ingress2gateway.reading.manifests.PARSE_BATCH_CHARS` of documents, and the results are
taken in input order, so what is read is the same as when this process parses them. JSON
files and files refused whole are read here and keep their place in the order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from ingress2gateway.reading import manifests
from ingress2gateway.reading.manifests import (
    DocumentRead,
    Parse,
    Parsed,
    Unparsed,
    parse_document,
    parsed_here,
    with_parse,
)
from ingress2gateway.scaling.pool import Pool

BATCHES_AHEAD = 16
"""Batches sent and not yet answered, at most: the text read ahead of the objects (1 MB)."""


def parsed_in(pool: Pool) -> Parse:
    """A way to parse documents (``read_inputs(parse=...)``) with the workers of ``pool``."""

    def parse(pieces: Iterator[DocumentRead | Unparsed]) -> Iterator[DocumentRead]:
        return _parsed_in(pool, pieces)

    return parse


def _parsed_in(pool: Pool, pieces: Iterator[DocumentRead | Unparsed]) -> Iterator[DocumentRead]:
    """``pieces`` in order, their YAML documents parsed by the workers of ``pool`` in batches
    (a batch that fails in its worker is parsed here)."""
    # Everything taken from pieces, in input order: a document read, or a batch sent.
    waiting: deque[DocumentRead | list[Unparsed]] = deque()

    def batches() -> Iterator[tuple[list[tuple[int, str]]]]:
        batch: list[Unparsed] = []
        size = 0
        for piece in pieces:
            if isinstance(piece, Unparsed):
                if not batch:
                    waiting.append(batch)
                batch.append(piece)
                size += len(piece.text)
            if batch and (size >= manifests.PARSE_BATCH_CHARS or isinstance(piece, DocumentRead)):
                # Sent as it is: what comes after it in the input comes after it in waiting.
                yield ([(doc.first_line, doc.text) for doc in batch],)
                batch, size = [], 0
            if isinstance(piece, DocumentRead):
                waiting.append(piece)
        if batch:
            yield ([(doc.first_line, doc.text) for doc in batch],)

    for answer in pool.ordered(_parse_sent, batches(), ahead=BATCHES_AHEAD):
        # Answers come in the order the batches were sent: what was read before this one first.
        sent = waiting.popleft()
        while isinstance(sent, DocumentRead):
            yield sent
            sent = waiting.popleft()
        if answer is None:
            yield from parsed_here(sent)
        else:
            yield from map(with_parse, sent, answer)
    for piece in waiting:
        assert isinstance(piece, DocumentRead), "every batch was answered"
        yield piece


def _parse_sent(batch: list[tuple[int, str]]) -> list[Parsed]:
    """In a worker: the documents of ``batch``, parsed."""
    strings: dict[str, str] = {}
    return [parse_document(first_line, doc, strings) for first_line, doc in batch]
