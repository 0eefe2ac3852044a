"""GET /api/v1/storage/stats: what the metric store holds and how far ingest is behind."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from nats.errors import Error as NatsError
from pydantic import ValidationError

from services.api.deps import BusDep, refuse_unknown_params
from services.api.schemas import ErrorBody
from shared.errors import BusError, RpcTimeout
from shared.events import StorageStats, StorageStatsQuery

router = APIRouter(
    prefix="/api/v1", tags=["storage"], dependencies=[Depends(refuse_unknown_params)]
)


@router.get(
    "/storage/stats",
    response_model=StorageStats,
    responses={502: {"model": ErrorBody}, 503: {"model": ErrorBody}},
)
async def get_storage_stats(bus: BusDep) -> StorageStats:
    """Series, samples, rollup rows, disk bytes, oldest/newest sample and ingest lag."""
    subject = bus.subjects.rpc_storage("stats")
    try:
        return await bus.request(subject, StorageStatsQuery(), StorageStats)
    except RpcTimeout as exc:
        raise RpcTimeout(
            f"storage did not answer within {bus.request_timeout:g} s "
            "(is the storage service running?)"
        ) from exc
    except ValidationError as exc:
        raise BusError(f"storage sent a reply that is not StorageStats: {exc}") from exc
    except NatsError as exc:
        raise BusError(f"request to storage failed: {exc}") from exc
