"""Store policies built from `StorageSettings` (and the METRICS stream age they depend on)."""

from __future__ import annotations

from datetime import timedelta

from services.storage.store import QueryLimits, RetentionPolicy
from shared.settings import NetvigilSettings

# An ingested event can be redelivered only while its message is in the METRICS stream,
# which drops messages after max_age; this margin covers clock skew and ack_wait.
EVENTS_MARGIN = timedelta(hours=1)


def retention_policy(settings: NetvigilSettings) -> RetentionPolicy:
    """How long each resolution is kept, from settings."""
    s = settings.storage
    stream_age = timedelta(hours=settings.nats.metrics_max_age_hours)
    return RetentionPolicy(
        raw=timedelta(hours=s.raw_retention_h),
        minute=timedelta(days=s.rollup_1m_retention_d),
        hour=timedelta(days=s.rollup_1h_retention_d),
        # The two-minute duplicate window is far shorter than the stream age, so the age decides.
        events=max(stream_age, timedelta(seconds=s.ack_wait_s)) + EVENTS_MARGIN,
        max_bytes=s.max_db_bytes,
        chunk_rows=s.maintenance_chunk_rows,
    )


def query_limits(settings: NetvigilSettings) -> QueryLimits:
    """What one query may cost, from settings."""
    s = settings.storage
    return QueryLimits(
        max_series=s.query_max_series,
        max_points=s.query_max_points,
        max_range=timedelta(days=s.query_max_range_d),
        timeout_s=s.query_timeout_s,
    )
