"""GET /api/v1/metrics: metric points from the storage service.

Timestamps are ISO 8601 and must carry a time zone (`Z` or an offset such as `+02:00`);
naive timestamps are refused with 422, because guessing a zone would silently shift the
window. Attribute filters are repeated `attr=<key>:<value>` parameters, for example
`attr=interface:eth0&attr=direction:receive`; every filter must match.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator, AwareDatetime, BeforeValidator

from services.api.deps import StorageDep
from services.api.schemas import ErrorBody, MetricsPage
from shared.errors import QueryError
from shared.events import MetricQuery

router = APIRouter(prefix="/api/v1", tags=["metrics"])

# An unescaped '+' in a query string arrives as a space ("...T10:00:00 02:00"); put it
# back, since that is what every shell user who typed "+02:00" meant.
_SPACED_OFFSET = re.compile(r"^(.+T[0-9:.]+) ([0-9]{2}(:?[0-9]{2})?)$")


def _restore_plus(value: Any) -> Any:
    if isinstance(value, str):
        return _SPACED_OFFSET.sub(r"\1+\2", value)
    return value


def _check_attr(value: str) -> str:
    key, sep, _ = value.partition(":")
    if not sep or not key:
        raise ValueError(f"attribute filter {value!r} must look like <key>:<value>")
    return value


Timestamp = Annotated[AwareDatetime, BeforeValidator(_restore_plus)]
AttrFilter = Annotated[str, AfterValidator(_check_attr)]


def parse_attr_filters(raw: list[str]) -> dict[str, str]:
    """Turn `["interface:eth0", ...]` into a dict; a key given twice is refused with 422."""
    filters: dict[str, str] = {}
    for item in raw:
        key, _, value = item.partition(":")
        if key in filters and filters[key] != value:
            raise RequestValidationError([{
                "type": "value_error", "loc": ("query", "attr"), "input": item,
                "msg": f"attribute {key!r} is filtered twice with different values",
            }])
        filters[key] = value
    return filters


@router.get(
    "/metrics",
    response_model=MetricsPage,
    description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
    responses={400: {"model": ErrorBody}, 502: {"model": ErrorBody}, 503: {"model": ErrorBody}},
)
async def get_metrics(
    storage: StorageDep,
    device: Annotated[str | None, Query(description="device name")] = None,
    metric: Annotated[str | None, Query(description="e.g. system.cpu.utilization")] = None,
    start: Annotated[
        Timestamp | None, Query(alias="from", description="ISO 8601 with zone, window start")
    ] = None,
    end: Annotated[
        Timestamp | None, Query(alias="to", description="ISO 8601 with zone, window end")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100_000, description="most points returned")] = 1000,
    attr: Annotated[
        list[AttrFilter], Query(description="repeatable <key>:<value>, e.g. interface:eth0")
    ] = [],  # noqa: B006 - FastAPI copies defaults per request
) -> MetricsPage:
    """Points oldest first, matching every given filter; `truncated` says `limit` cut them."""
    if start is not None and end is not None and start > end:
        raise QueryError(
            f"'from' ({start.isoformat()}) is after 'to' ({end.isoformat()}); "
            "swap them or widen the window"
        )
    query = MetricQuery(
        device=device, metric=metric, start=start, end=end,
        attributes=parse_attr_filters(attr), limit=limit,
    )
    result = await storage.query(query)
    return MetricsPage(points=result.points, truncated=result.truncated, count=len(result.points))
