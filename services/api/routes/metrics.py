"""GET /api/v1/metrics (points, pages, latest), /api/v1/metrics/aggregate, POST /metrics/query.

Timestamps are ISO 8601 and must carry a time zone (`Z` or an offset such as `+02:00`);
naive timestamps are refused with 422, because guessing a zone would silently shift the
window. `device` and `metric` may be repeated (any of them matches). Attribute filters
are repeated `attr=<key>:<value>` (exact), `attr_glob=<key>:<pattern>` (shell glob, e.g.
`interface:Gi*`) and `attr_regex=<key>:<regex>` (the whole value must match); every
filter must match. A page that was cut by `limit` carries `next_cursor`: pass it back as
`cursor` with the same parameters for the next page.

`from` and `to` are timestamps only: an epoch number is refused with 422, because seconds
and milliseconds cannot be told apart. `bucket` is a duration: digits with an optional
unit `s`, `m`, `h` or `d` (`60s`, `5m`, `1h`). A query parameter the endpoint does not
take is refused with 422 naming it, so a typo never widens the query to everything.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, WithJsonSchema

from services.api.deps import StorageDep, refuse_unknown_params
from services.api.errors import params_named
from services.api.schemas import ErrorBody
from services.api.storage import StorageClient
from shared.errors import QueryError, RpcError
from shared.events import (
    AggregateRow,
    AggregateSpec,
    Aggregation,
    AttributeFilter,
    AttributeMatch,
    MetricPoint,
    MetricQuery,
    MetricQueryResult,
    Resolution,
    SortOrder,
)

router = APIRouter(
    prefix="/api/v1", tags=["metrics"], dependencies=[Depends(refuse_unknown_params)]
)
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody},
    502: {"model": ErrorBody},
    503: {"model": ErrorBody},
}

# An unescaped '+' in a query string arrives as a space ("...T10:00:00 02:00"); put it
# back, since that is what every shell user who typed "+02:00" meant.
_SPACED_OFFSET = re.compile(r"^(.+T[0-9:.]+) ([0-9]{2}(:?[0-9]{2})?)$")
_DURATION_PATTERN = "^[0-9]{1,9}[smhd]?$"
_DURATION = re.compile(r"^([0-9]{1,9})([smhd]?)$")
_UNIT_S = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86_400}
_EPOCH = re.compile(r"^\s*[+-]?[0-9]+(\.[0-9]*)?\s*$")
# Model fields as the GET parameters name them, for messages about the built query.
_PARAM_NAMES = {
    "start": "from",
    "end": "to",
    "devices": "device",
    "metrics": "metric",
    "attributes": "attr",
    "functions": "fn",
    "bucket_s": "bucket",
}
# Storage's words for fields of the query, in its 400 messages, and the GET parameter's.
_STORAGE_WORDS = (
    (re.compile(r"'start'/'end'"), "'from'/'to'"),
    (re.compile(r"\bbucket_s=([0-9]+)"), r"bucket (\1 s)"),
)


def _restore_plus(value: Any) -> Any:
    if isinstance(value, str):
        if _EPOCH.match(value):
            raise ValueError(
                f"{value!r} is a number; give an ISO 8601 timestamp with a zone, "
                "e.g. 2026-01-01T00:00:00Z (epoch numbers are not accepted)"
            )
        return _SPACED_OFFSET.sub(r"\1+\2", value)
    return value


def _check_label(value: str) -> str:
    if not value:
        raise ValueError("group_by must name device, metric or an attribute key, not ''")
    return value


def _check_attr(value: str) -> str:
    key, sep, _ = value.partition(":")
    if not sep or not key:
        raise ValueError(f"attribute filter {value!r} must look like <key>:<value>")
    return value


def _seconds(value: Any) -> int:
    found = _DURATION.match(str(value).strip())
    if not found or int(found[1]) == 0:
        raise ValueError(f"bucket {value!r} must be a positive duration like 60s, 5m, 1h or 1d")
    return int(found[1]) * _UNIT_S[found[2]]


Timestamp = Annotated[AwareDatetime, BeforeValidator(_restore_plus)]
AttrFilter = Annotated[str, AfterValidator(_check_attr)]
Duration = Annotated[
    int,
    BeforeValidator(_seconds),
    WithJsonSchema({"type": "string", "pattern": _DURATION_PATTERN, "examples": ["5m"]}),
]
GroupLabel = Annotated[str, AfterValidator(_check_label)]


class MetricsPage(BaseModel):
    """Points of one metric query; `truncated` says `limit` cut them, `next_cursor` continues."""

    points: list[MetricPoint]
    truncated: bool
    count: int
    next_cursor: str | None = None


class AggregatePage(BaseModel):
    """Aggregate rows (per group and bucket) and the resolution that answered them."""

    rows: list[AggregateRow]
    truncated: bool
    count: int
    resolution: Resolution


def parse_attr_filters(raw: list[str]) -> dict[str, str]:
    """Turn `["interface:eth0", ...]` into a dict; a key given twice is refused with 422."""
    filters: dict[str, str] = {}
    for item in raw:
        key, _, value = item.partition(":")
        if key in filters and filters[key] != value:
            raise RequestValidationError(
                [
                    {
                        "type": "value_error",
                        "loc": ("query", "attr"),
                        "input": item,
                        "msg": f"attribute {key!r} is filtered twice with different values",
                    }
                ]
            )
        filters[key] = value
    return filters


def _patterns(raw: list[str], match: AttributeMatch) -> list[AttributeFilter]:
    out = []
    for item in raw:
        key, _, value = item.partition(":")
        out.append(AttributeFilter(key=key, value=value, match=match))
    return out


def query_filters(
    device: Annotated[list[str], Query(description="device name; repeat for several")] = [],  # noqa: B006
    metric: Annotated[list[str], Query(description="e.g. system.cpu.utilization; repeatable")] = [],  # noqa: B006
    start: Annotated[
        Timestamp | None, Query(alias="from", description="ISO 8601 with zone, window start")
    ] = None,
    end: Annotated[
        Timestamp | None, Query(alias="to", description="ISO 8601 with zone, window end")
    ] = None,
    attr: Annotated[
        list[AttrFilter], Query(description="repeatable <key>:<value>, e.g. interface:eth0")
    ] = [],  # noqa: B006 - FastAPI copies defaults per request
    attr_glob: Annotated[
        list[AttrFilter], Query(description="repeatable <key>:<glob>, e.g. interface:Gi*")
    ] = [],  # noqa: B006
    attr_regex: Annotated[
        list[AttrFilter], Query(description="repeatable <key>:<regex>, anchored")
    ] = [],  # noqa: B006
) -> dict[str, Any]:
    """The filter fields of a `MetricQuery`, shared by the point and aggregate endpoints."""
    if start is not None and end is not None and start > end:
        raise QueryError(
            f"'from' ({start.isoformat()}) is after 'to' ({end.isoformat()}); "
            "swap them or widen the window"
        )
    if start is not None and start == end:
        raise QueryError(
            f"'from' and 'to' are the same instant ({start.isoformat()}): the window "
            "[from, to) is empty; widen it"
        )
    return {
        # One name stays in the single-valued field, as clients of the first API sent it.
        "device": device[0] if len(device) == 1 else None,
        "devices": device if len(device) > 1 else [],
        "metric": metric[0] if len(metric) == 1 else None,
        "metrics": metric if len(metric) > 1 else [],
        "start": start,
        "end": end,
        "attributes": parse_attr_filters(attr),
        "attribute_filters": _patterns(attr_glob, AttributeMatch.GLOB)
        + _patterns(attr_regex, AttributeMatch.REGEX),
    }


Filters = Annotated[dict[str, Any], Depends(query_filters)]


@router.get(
    "/metrics",
    response_model=MetricsPage,
    response_model_exclude_none=True,
    description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
    responses=_ERRORS,
)
async def get_metrics(
    storage: StorageDep,
    filters: Filters,
    limit: Annotated[int, Query(ge=1, le=100_000, description="most points returned")] = 1000,
    order: Annotated[SortOrder, Query(description="asc: oldest first; desc: newest first")] = (
        SortOrder.ASC
    ),
    cursor: Annotated[
        str | None, Query(max_length=512, description="next_cursor of the previous page")
    ] = None,
    latest: Annotated[bool, Query(description="only the newest point of each series")] = False,
) -> MetricsPage:
    """Points matching every filter, in time order; or the latest point of each series."""
    with params_named(_PARAM_NAMES):
        query = MetricQuery(**filters, limit=limit, order=order, cursor=cursor, latest=latest)
    result = await _ask(storage, query)
    return MetricsPage(
        points=result.points,
        truncated=result.truncated,
        count=len(result.points),
        next_cursor=result.next_cursor,
    )


@router.get("/metrics/aggregate", response_model=AggregatePage, responses=_ERRORS)
async def get_aggregate(
    storage: StorageDep,
    filters: Filters,
    fn: Annotated[
        list[Aggregation], Query(min_length=1, description="repeatable: avg, p95, rate, ...")
    ],
    group_by: Annotated[
        list[GroupLabel] | None,
        Query(description="device, metric or attribute keys (attr.<key> for one named like "
              "them); default per series"),
    ] = None,
    bucket: Annotated[Duration | None, Query(description="time bucket, e.g. 60s, 5m, 1h")] = None,
    resolution: Annotated[Resolution, Query(description="auto picks the finest covering one")] = (
        Resolution.AUTO
    ),
    sort_by: Annotated[
        Aggregation | None, Query(description="order groups by this function")
    ] = None,
    order: Annotated[SortOrder, Query(description="direction of sort_by")] = SortOrder.DESC,
    limit: Annotated[
        int, Query(ge=1, le=100_000, description="most rows (top-k with sort_by)")
    ] = 1000,
) -> AggregatePage:
    """Aggregates per group (and time bucket), e.g. the ten busiest interfaces by average."""
    with params_named(_PARAM_NAMES):
        spec = AggregateSpec(
            functions=fn,
            group_by=group_by,
            bucket_s=bucket,
            resolution=resolution,
            sort_by=sort_by,
            order=order,
        )
        query = MetricQuery(**filters, limit=limit, aggregate=spec)
    return _aggregate_page(await _ask(storage, query))


@router.post("/metrics/query", response_model=MetricQueryResult, responses=_ERRORS)
async def post_query(storage: StorageDep, query: MetricQuery) -> MetricQueryResult:
    """Run a full `MetricQuery` (see docs/events.md) as JSON; every feature in one body."""
    return await storage.query(query)


async def _ask(storage: StorageClient, query: MetricQuery) -> MetricQueryResult:
    # Storage words its refusals for the query model; say them as the GET parameters.
    try:
        return await storage.query(query)
    except RpcError as exc:
        if exc.code != 400:
            raise
        message = exc.message
        for pattern, words in _STORAGE_WORDS:
            message = pattern.sub(words, message)
        raise RpcError(400, message) from exc


def _aggregate_page(result: MetricQueryResult) -> AggregatePage:
    return AggregatePage(
        rows=result.rows,
        truncated=result.truncated,
        count=len(result.rows),
        resolution=result.resolution,
    )
