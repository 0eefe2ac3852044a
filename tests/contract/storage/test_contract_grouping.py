"""Aggregate groups keep the netvigil device and metric apart from attributes of the same name.

A filesystem sample may carry an attribute called `device` (the block device) or
`metric`; the rule (docs/storage.md) is that `device` and `metric` in a group always mean
the netvigil device and metric, and such an attribute is reported as `attr.<key>`.
"""

from __future__ import annotations

import pytest

from services.storage.store import MetricStore
from shared.events import AggregateSpec, Aggregation, MetricQuery, Resolution
from tests.contract.storage.fleet import at, batch

pytestmark = pytest.mark.integration

FS = "system.filesystem.utilization"
ROOT = {"device": "/dev/vda1", "mountpoint": "/"}


@pytest.fixture
async def hosts(store: MetricStore) -> MetricStore:
    """Two hosts whose root filesystems carry the same `device` attribute; h1 polled 3x, h2 2x."""
    await store.write_batches(
        [
            batch("h1", at(0), (FS, 0.25, ROOT)),
            batch("h2", at(0), (FS, 0.50, ROOT)),
            batch("h1", at(60), (FS, 0.26, ROOT)),
            batch("h2", at(60), (FS, 0.51, ROOT)),
            batch("h1", at(120), (FS, 0.27, ROOT)),
        ]
    )
    return store


Counts = dict[tuple[tuple[str, str], ...], float | None]


async def _groups(store: MetricStore, group_by: list[str] | None) -> Counts:
    spec = AggregateSpec(
        functions=[Aggregation.COUNT], group_by=group_by, resolution=Resolution.RAW
    )
    result = await store.query(MetricQuery(metric=FS, aggregate=spec))
    return {tuple(sorted(r.group.items())): r.values[Aggregation.COUNT] for r in result.rows}


async def test_aggregate_keeps_devices_apart_when_attribute_named_device(
    hosts: MetricStore,
) -> None:
    expected = {
        (("attr.device", "/dev/vda1"), ("device", device), ("metric", FS), ("mountpoint", "/")): n
        for device, n in (("h1", 3.0), ("h2", 2.0))
    }
    assert await _groups(hosts, None) == expected


async def test_aggregate_groups_by_netvigil_device_when_group_by_device(
    hosts: MetricStore,
) -> None:
    assert await _groups(hosts, ["device"]) == {(("device", "h1"),): 3.0, (("device", "h2"),): 2.0}


async def test_aggregate_groups_by_attribute_when_group_by_attr_prefix(
    hosts: MetricStore,
) -> None:
    assert await _groups(hosts, ["attr.device", "mountpoint"]) == {
        (("attr.device", "/dev/vda1"), ("mountpoint", "/")): 5.0
    }


async def test_aggregate_prefixes_metric_and_attr_keys_when_attributes_collide(
    store: MetricStore,
) -> None:
    odd = {"metric": "m", "attr.x": "1", "x": "2"}
    await store.write_batches([batch("h1", at(0), (FS, 1.0, odd))])
    expected_group = (
        ("attr.attr.x", "1"),
        ("attr.metric", "m"),
        ("device", "h1"),
        ("metric", FS),
        ("x", "2"),
    )
    assert await _groups(store, None) == {expected_group: 1.0}
    assert await _groups(store, ["metric", "attr.metric", "attr.attr.x", "x"]) == {
        (("attr.attr.x", "1"), ("attr.metric", "m"), ("metric", FS), ("x", "2")): 1.0
    }
