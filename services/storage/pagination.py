"""Opaque keyset cursors for paging raw points, shared by every backend.

A cursor holds the (ts, series id) of the last point a page returned and a fingerprint of
the query it belongs to. The next page asks for rows strictly after that key in the
query's order, so rows written between two pages never shift the page boundary: nothing
is skipped and nothing is returned twice (unlike OFFSET paging).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from services.storage.query import SeriesRef, point_of
from shared.errors import QueryError
from shared.events import MetricQuery, MetricQueryResult

_VERSION = 1


@dataclass(frozen=True, slots=True)
class Cursor:
    """The key of the last point a page returned."""

    ts: int
    series_id: int


def query_fingerprint(query: MetricQuery) -> str:
    """A short hash of everything in `query` except its cursor and page size."""
    canonical = query.model_dump_json(exclude={"cursor", "limit"})
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def encode_cursor(cursor: Cursor, query: MetricQuery) -> str:
    """The opaque text a client passes back as `cursor` to get the next page."""
    body = json.dumps([_VERSION, cursor.ts, cursor.series_id, query_fingerprint(query)])
    return base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")


def decode_cursor(query: MetricQuery) -> Cursor | None:
    """The cursor `query` carries, or None; QueryError if it is malformed or from another query."""
    if query.cursor is None:
        return None
    try:
        padded = query.cursor + "=" * (-len(query.cursor) % 4)
        version, ts, series_id, fingerprint = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, TypeError, binascii.Error) as exc:
        raise QueryError("cursor is malformed: pass back next_cursor unchanged") from exc
    if version != _VERSION or not isinstance(ts, int) or not isinstance(series_id, int):
        raise QueryError("cursor is malformed: pass back next_cursor unchanged")
    if fingerprint != query_fingerprint(query):
        raise QueryError(
            "cursor belongs to a different query: keep every parameter except limit unchanged"
        )
    return Cursor(ts=ts, series_id=series_id)


def page_result(
    query: MetricQuery, by_id: Mapping[int, SeriesRef], rows: Sequence[tuple[int, int, float]]
) -> MetricQueryResult:
    """The page of `rows` (series id, ts, value) in query order, and the cursor after it.

    A backend fetches up to `query.limit + 1` rows: the extra one says the limit cut the result.
    """
    kept = rows[: query.limit]
    points = [point_of(by_id[sid], ts, value) for sid, ts, value in kept]
    truncated = len(rows) > query.limit
    cursor = None
    if truncated:
        cursor = encode_cursor(Cursor(ts=kept[-1][1], series_id=kept[-1][0]), query)
    return MetricQueryResult(points=points, truncated=truncated, next_cursor=cursor)
