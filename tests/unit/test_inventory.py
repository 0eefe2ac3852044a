"""Inventory validation: every problem names the device and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.errors import InventoryError
from shared.inventory import load_inventory, parse_inventory

pytestmark = pytest.mark.unit

GOOD = {"name": "web1", "host": "192.0.2.1", "platform": "linux", "password": "p"}


def test_parse_inventory_merges_defaults_under_each_device() -> None:
    inventory = parse_inventory({"defaults": {"username": "mon", "poll_interval": 10},
                                 "devices": [{**GOOD, "poll_interval": 5}]})
    [device] = inventory.devices
    assert (device.username, device.poll_interval, device.port) == ("mon", 5.0, 22)


def test_parse_inventory_strict_raises_naming_every_bad_device_and_field() -> None:
    data = {"defaults": {"username": "u"}, "devices": [
        GOOD,
        {**GOOD, "name": "db1", "port": 70000},
        {**GOOD, "name": "bad.name"},
        {"name": "nocred", "host": "h", "platform": "linux"},
    ]}
    with pytest.raises(InventoryError) as raised:
        parse_inventory(data)
    text = str(raised.value)
    assert "device #2 ('db1'): field 'port': Input should be less than or equal to 65535" in text
    assert "device #3 ('bad.name'): field 'name': must be letters, digits" in text
    assert ("device #4 ('nocred'): fields 'password', 'password_encrypted', 'key_file': "
            "needs a password, a password_encrypted or a key_file") in text


def test_parse_inventory_lenient_keeps_good_devices_and_names_rejected_ones() -> None:
    data = {"defaults": {"username": "u"}, "devices": [
        GOOD,
        {**GOOD, "name": "db1", "platform": "windows"},
        {**GOOD, "name": "bad.name"},
        {**GOOD, "host": "192.0.2.99"},  # same name as the first
        "just a string",
    ]}
    inventory = parse_inventory(data, strict=False)
    assert [d.name for d in inventory.devices] == ["web1"]
    names = [r.name for r in inventory.rejected]
    # a usable, unique name can carry an error status; the others cannot
    assert names == ["db1", None, None, None]
    assert "field 'platform'" in inventory.rejected[0].reason
    assert "duplicate device name" in inventory.rejected[2].reason
    assert "expected a mapping, got str" in inventory.rejected[3].reason


def test_load_inventory_reports_yaml_errors_with_the_path(tmp_path: Path) -> None:
    path = tmp_path / "inv.yaml"
    path.write_text("devices: [\n")
    with pytest.raises(InventoryError, match=f"{path}: not valid YAML"):
        load_inventory(path, strict=False)
    with pytest.raises(InventoryError, match="cannot read"):
        load_inventory(tmp_path / "missing.yaml")
