"""Query planning shared by every backend: series matching, limits, resolution and grouping.

A backend resolves the matching series (`SeriesRef`), fetches their samples or rollups for
the planned resolution, and hands them to `build_rows`, which groups, buckets, folds,
sorts and cuts to `limit`. Attribute regexes are anchored (the whole value must match,
as in Prometheus); globs use shell rules (`*`, `?`, `[abc]`).
"""

from __future__ import annotations

import fnmatch
import json
import re
import re._constants as sre_constants  # the parsed form is needed to judge a pattern
import re._parser as sre_parser
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.storage.aggregate import (
    Rollup,
    Sample,
    Values,
    bucket_start,
    fold_rollups,
    fold_samples,
)
from services.storage.store import QueryLimits, SeriesInfo, canonical_attributes, from_millis
from shared.catalog import unit_of
from shared.errors import QueryError
from shared.events import (
    AggregateRow,
    AggregateSpec,
    AttributeMatch,
    MetricPoint,
    MetricQuery,
    MetricQueryResult,
    Resolution,
    SortOrder,
)

STEP_MS = {Resolution.MINUTE: 60_000, Resolution.HOUR: 3_600_000}
# Stand-ins for an open start or end: beyond any epoch-millisecond time a store holds.
MIN_TS = -(2**62)
MAX_TS = 2**62
_FINEST_FIRST = (Resolution.RAW, Resolution.MINUTE, Resolution.HOUR)

Predicate = Callable[[str], bool]
GroupKey = tuple[tuple[str, str], ...]
# Group labels that always mean the sample's own device and metric, and the prefix that
# moves an attribute of the same name (or one that already looks prefixed) out of their way.
_RESERVED_LABELS = frozenset({"device", "metric"})
ATTR_PREFIX = "attr."


@dataclass(frozen=True, slots=True)
class SeriesRef:
    """A stored series with its backend id."""

    id: int
    device: str
    metric: str
    attributes: Mapping[str, str]


def lower_ts(start: int | None) -> int:
    """The query's start in epoch ms, or MIN_TS when it has none."""
    return MIN_TS if start is None else start


def upper_ts(end: int | None) -> int:
    """The query's end in epoch ms, or MAX_TS when it has none."""
    return MAX_TS if end is None else end


def point_of(series: SeriesRef, ts: int, value: float) -> MetricPoint:
    """The point a query returns for one stored sample of `series`."""
    return MetricPoint(
        device=series.device,
        metric=series.metric,
        unit=unit_of(series.metric),
        ts=from_millis(ts),
        value=value,
        attributes=dict(series.attributes),
    )


class SeriesMatcher:
    """Decides whether a series matches a query's device, metric and attribute filters."""

    def __init__(self, query: MetricQuery) -> None:
        self.devices = _names(query.device, query.devices)
        self.metrics = _names(query.metric, query.metrics)
        self._tests: list[tuple[str, Predicate]] = [
            (key, _equals(value)) for key, value in sorted(query.attributes.items())
        ]
        for index, f in enumerate(query.attribute_filters):
            self._tests.append((f.key, _predicate(index, f.match, f.key, f.value)))

    def __call__(self, series: SeriesRef) -> bool:
        """True when the series passes every filter."""
        if self.devices is not None and series.device not in self.devices:
            return False
        if self.metrics is not None and series.metric not in self.metrics:
            return False
        for key, test in self._tests:
            value = series.attributes.get(key)
            if value is None or not test(value):
                return False
        return True


def _names(one: str | None, many: Sequence[str]) -> frozenset[str] | None:
    wanted = set(many) | ({one} if one is not None else set())
    return frozenset(wanted) if wanted else None


def _equals(expected: str) -> Predicate:
    return lambda value: value == expected


def _predicate(index: int, match: AttributeMatch, key: str, pattern: str) -> Predicate:
    if match is AttributeMatch.EXACT:
        return _equals(pattern)
    if match is AttributeMatch.GLOB:
        return lambda value: fnmatch.fnmatchcase(value, pattern)
    where = f"attribute_filters[{index}] ({key})"
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise QueryError(f"{where}: invalid regular expression {pattern!r}: {exc}") from exc
    problem = regex_risk(pattern)
    if problem:
        raise QueryError(f"{where}: regular expression {pattern!r} refused: {problem}")
    return lambda value: compiled.fullmatch(value) is not None


MAX_REGEX_LENGTH = 256


def regex_risk(pattern: str) -> str | None:
    """Why `pattern` could take exponential time, or None.

    Python's regex engine backtracks and holds the interpreter while it does, so one
    pattern like `(.*.*)*X` would stall every service of the process. Refused: a
    repetition inside a repetition, alternatives inside a repetition, backreferences,
    and patterns longer than MAX_REGEX_LENGTH.
    """
    if len(pattern) > MAX_REGEX_LENGTH:
        return f"longer than {MAX_REGEX_LENGTH} characters"
    return _risk_in(sre_parser.parse(pattern), inside_repeat=False)


_REPEATS = {sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT}


def _risk_in(items: Any, *, inside_repeat: bool) -> str | None:
    for op, arg in items:
        if op in _REPEATS:
            low, high, body = arg
            repeats = high is sre_constants.MAXREPEAT or high > 1
            if repeats and inside_repeat:
                return "a repetition inside a repetition can take exponential time"
            found = _risk_in(body, inside_repeat=inside_repeat or repeats)
        elif op is sre_constants.BRANCH:
            if inside_repeat:
                return "alternatives inside a repetition can take exponential time"
            found = next((r for b in arg[1] if (r := _risk_in(b, inside_repeat=False))), None)
        elif op in (sre_constants.GROUPREF, sre_constants.GROUPREF_EXISTS):
            return "backreferences are not supported"
        elif op is sre_constants.SUBPATTERN:
            found = _risk_in(arg[-1], inside_repeat=inside_repeat)
        elif op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            found = _risk_in(arg[1], inside_repeat=inside_repeat)
        else:
            found = None
        if found:
            return found
    return None


def select_series(matcher: SeriesMatcher, rows: Iterable[Sequence[Any]]) -> list[SeriesRef]:
    """The series of (id, device, metric, attributes JSON) rows that pass `matcher`, in order."""
    refs = (SeriesRef(id=r[0], device=r[1], metric=r[2], attributes=json.loads(r[3])) for r in rows)
    return [ref for ref in refs if matcher(ref)]


def series_infos(refs: Iterable[SeriesRef]) -> list[SeriesInfo]:
    """What `list_series` returns for `refs`: with units, ordered by device, metric, attributes."""
    infos = [
        SeriesInfo(
            device=r.device,
            metric=r.metric,
            attributes=dict(r.attributes),
            unit=unit_of(r.metric),
        )
        for r in refs
    ]
    return sorted(infos, key=lambda i: (i.device, i.metric, canonical_attributes(i.attributes)))


def samples_by_series(rows: Iterable[Sequence[Any]]) -> dict[int, list[Sample]]:
    """(series id, ts, value) rows grouped by series, in row order."""
    out: dict[int, list[Sample]] = {}
    for sid, ts, value in rows:
        out.setdefault(sid, []).append((ts, value))
    return out


def rollups_by_series(rows: Iterable[Sequence[Any]]) -> dict[int, list[Rollup]]:
    """(series id, start, min, max, sum, count, last, last_ts) rows grouped by series, in order."""
    out: dict[int, list[Rollup]] = {}
    for sid, b, mn, mx, sm, n, last, last_ts in rows:
        out.setdefault(sid, []).append(
            Rollup(start=b, min=mn, max=mx, sum=sm, count=n, last=last, last_ts=last_ts)
        )
    return out


def check_limits(query: MetricQuery, series: Sequence[SeriesRef], limits: QueryLimits) -> None:
    """Refuse a query whose range or series count is over the limits."""
    if query.start is not None and query.end is not None:
        if query.end - query.start > limits.max_range:
            raise QueryError(
                f"time range {query.end - query.start} is longer than the maximum "
                f"{limits.max_range}; narrow 'start'/'end'"
            )
    if len(series) > limits.max_series:
        raise QueryError(
            f"query matches {len(series)} series, more than the maximum {limits.max_series}; "
            "add device, metric or attribute filters"
        )


def too_many_points(limits: QueryLimits, resolution: Resolution) -> QueryError:
    """The error for an aggregate that would read more than `limits.max_points` rows."""
    return QueryError(
        f"query would read more than {limits.max_points} {resolution.value} rows; narrow the "
        "range or the series, or use a bucket of 60 s or more so rollups answer"
    )


def check_sort_by(spec: AggregateSpec) -> None:
    """Refuse an aggregate sorted by a function it does not compute."""
    if spec.sort_by is not None and spec.sort_by not in spec.functions:
        raise QueryError(f"sort_by {spec.sort_by.value!r} must be one of the functions")


def floors_from_marks(marks: Mapping[str, int]) -> dict[Resolution, int | None]:
    """The `covered_from` of `choose_resolution`, from a store's `floor_<resolution>` marks."""
    return {r: marks.get(f"floor_{r.value}") for r in Resolution if r is not Resolution.AUTO}


def query_timed_out(limits: QueryLimits) -> QueryError:
    """The error for a query stopped after running `limits.timeout_s`."""
    return QueryError(
        f"query ran longer than {limits.timeout_s:g} s and was stopped; "
        "narrow the range or the series"
    )


def choose_resolution(
    spec: AggregateSpec, start: int | None, covered_from: Mapping[Resolution, int | None]
) -> Resolution:
    """The finest resolution that still holds data back to `start` and fits the bucket.

    `covered_from[r]` is the oldest time still complete at resolution r (None: nothing was
    ever pruned). A rollup can answer only when the bucket is a multiple of its step.
    """
    if spec.resolution is not Resolution.AUTO:
        _check_bucket_fits(spec, spec.resolution)
        return spec.resolution
    usable = [r for r in _FINEST_FIRST if _bucket_fits(spec, r)]
    for resolution in usable:
        floor = covered_from.get(resolution)
        if floor is None or (start is not None and start >= floor):
            return resolution
    return usable[-1]


def _bucket_fits(spec: AggregateSpec, resolution: Resolution) -> bool:
    step = STEP_MS.get(resolution)
    return step is None or spec.bucket_s is None or (spec.bucket_s * 1000) % step == 0


def _check_bucket_fits(spec: AggregateSpec, resolution: Resolution) -> None:
    if not _bucket_fits(spec, resolution):
        raise QueryError(
            f"bucket_s={spec.bucket_s} is not a multiple of the {resolution.value} rollup step"
        )


def group_label(key: str) -> str:
    """The group label of attribute `key`: `attr.<key>` where it could pass for a reserved one."""
    if key in _RESERVED_LABELS or key.startswith(ATTR_PREFIX):
        return ATTR_PREFIX + key
    return key


def group_of(spec: AggregateSpec, series: SeriesRef) -> dict[str, str]:
    """The group labels of a series: per series by default, else the `group_by` names.

    `device` and `metric` always name the netvigil device and metric; an attribute is
    labelled by `group_label`, so no attribute can overwrite them (or another attribute).
    """
    labels = {"device": series.device, "metric": series.metric}
    labels.update((group_label(k), v) for k, v in series.attributes.items())
    if spec.group_by is None:
        return labels
    return {name: labels.get(name, "") for name in spec.group_by}


def build_rows(
    spec: AggregateSpec,
    series: Sequence[SeriesRef],
    data: Mapping[int, Sequence[Sample]] | Mapping[int, Sequence[Rollup]],
    *,
    raw: bool,
    limit: int,
) -> tuple[list[AggregateRow], bool]:
    """Group, bucket and fold the fetched data; sort and cut to `limit` (top-k)."""
    bucket_ms = spec.bucket_s * 1000 if spec.bucket_s else None
    cells: dict[tuple[GroupKey, int | None], list[Sequence[Any]]] = {}
    for ref in series:
        key = tuple(group_of(spec, ref).items())
        for bucket, part in _split(data.get(ref.id, ()), bucket_ms, raw=raw).items():
            cells.setdefault((key, bucket), []).append(part)
    rows = [
        AggregateRow(
            group=dict(key),
            bucket=from_millis(b) if b is not None else None,
            values=_fold(parts, spec, raw=raw),
        )
        for (key, b), parts in cells.items()
    ]
    rows.sort(key=_sort_key(spec))
    return rows[:limit], len(rows) > limit


def aggregate_result(
    query: MetricQuery,
    spec: AggregateSpec,
    series: Sequence[SeriesRef],
    data: Mapping[int, Sequence[Sample]] | Mapping[int, Sequence[Rollup]],
    resolution: Resolution,
) -> MetricQueryResult:
    """The answer to an aggregate query from the data fetched at `resolution`."""
    rows, truncated = build_rows(
        spec, series, data, raw=resolution is Resolution.RAW, limit=query.limit
    )
    return MetricQueryResult(points=[], truncated=truncated, rows=rows, resolution=resolution)


def _split(
    items: Sequence[Any], bucket_ms: int | None, *, raw: bool
) -> dict[int | None, list[Any]]:
    if bucket_ms is None:
        return {None: list(items)} if items else {}
    out: dict[int | None, list[Any]] = {}
    for item in items:
        ts = item[0] if raw else item.start
        out.setdefault(bucket_start(ts, bucket_ms), []).append(item)
    return out


def _fold(parts: list[Sequence[Any]], spec: AggregateSpec, *, raw: bool) -> Values:
    return fold_samples(parts, spec.functions) if raw else fold_rollups(parts, spec.functions)


def _sort_key(spec: AggregateSpec) -> Callable[[AggregateRow], tuple[Any, ...]]:
    def by_group(row: AggregateRow) -> tuple[Any, ...]:
        return (sorted(row.group.items()), row.bucket or datetime.min)

    if spec.sort_by is None:
        return by_group
    sign = -1.0 if spec.order is SortOrder.DESC else 1.0
    fn = spec.sort_by

    def by_value(row: AggregateRow) -> tuple[Any, ...]:
        value = row.values.get(fn)
        # Undefined values sort last in either order.
        return (value is None, sign * value if value is not None else 0.0, by_group(row))

    return by_value
