"""The device inventory: a YAML file listing what to poll and how to log in.

    defaults:            # optional, merged under every device
      username: monitor
      poll_interval: 30
    devices:
      - name: web1       # one subject token: letters, digits, '-' and '_'
        host: 192.0.2.10
        port: 22
        platform: linux
        username: monitor
        password: secret          # or key_file: ~/.ssh/id_ed25519
                                  # or password_encrypted: "nv1:..." (see docs/collector.md)
        legacy_algorithms: false  # true allows diffie-hellman-group1-sha1, aes128-cbc, ssh-rsa
        poll_interval: 30
        tags: {site: lab, role: server}

Every validation error names the device and the field.
"""

from __future__ import annotations

import enum
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from shared.errors import InventoryError

DEVICE_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$"


class Platform(enum.StrEnum):
    """Device operating systems netvigil knows how to poll."""

    LINUX = "linux"
    CISCO_IOS = "cisco_ios"
    CISCO_NXOS = "cisco_nxos"
    ARISTA_EOS = "arista_eos"
    JUNIPER_JUNOS = "juniper_junos"


class Device(BaseModel):
    """One device to poll."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=DEVICE_NAME_PATTERN)
    host: str = Field(min_length=1)
    port: int = Field(default=22, ge=1, le=65535)
    platform: Platform
    username: str = Field(min_length=1)
    password: SecretStr | None = None
    password_encrypted: SecretStr | None = Field(default=None, description="'nv1:' + Fernet")
    key_file: Path | None = None
    poll_interval: float = Field(default=30.0, ge=1.0, le=86_400)
    tags: dict[str, str] = Field(default_factory=dict)
    legacy_algorithms: bool = False

    @model_validator(mode="after")
    def _needs_a_credential(self) -> Device:
        if self.password is None and self.key_file is None and self.password_encrypted is None:
            raise ValueError("needs a password, a password_encrypted or a key_file")
        if self.password is not None and self.password_encrypted is not None:
            raise ValueError("give either password or password_encrypted, not both")
        encrypted = self.password_encrypted
        if encrypted is not None and not encrypted.get_secret_value().startswith("nv1:"):
            raise ValueError("password_encrypted must start with 'nv1:'")
        return self


class RejectedDevice(BaseModel):
    """An inventory entry that failed validation; `name` is set when it was usable."""

    model_config = ConfigDict(frozen=True)

    name: str | None
    reason: str


class Inventory(BaseModel):
    """All valid devices, unique by name, and the entries that were rejected."""

    model_config = ConfigDict(frozen=True)

    devices: tuple[Device, ...]
    rejected: tuple[RejectedDevice, ...] = ()

    def by_name(self, name: str) -> Device | None:
        """The device called `name`, if any."""
        return next((d for d in self.devices if d.name == name), None)


def parse_inventory(data: Any, *, source: str = "inventory", strict: bool = True) -> Inventory:
    """Validate parsed YAML; every problem names the device and the field.

    Strict: any bad entry raises InventoryError listing them all. Lenient (what the
    collector uses): bad entries are returned in `rejected` so the good ones keep being
    polled. A file that is not a mapping with a 'devices' list always raises.
    """
    if not isinstance(data, dict) or not isinstance(data.get("devices"), list):
        raise InventoryError(f"{source}: expected a mapping with a 'devices' list")
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise InventoryError(f"{source}: 'defaults' must be a mapping")
    devices: list[Device] = []
    rejected: list[RejectedDevice] = []
    for index, entry in enumerate(data["devices"]):
        device, problems = _validate_entry(index, entry, defaults)
        if device is not None and any(d.name == device.name for d in devices):
            label = _label(index, entry)
            device, problems = None, [f"{label}: field 'name': duplicate device name"]
        if device is not None:
            devices.append(device)
        else:
            rejected.append(RejectedDevice(name=_usable_name(entry, devices),
                                           reason="; ".join(problems)))
    if rejected and strict:
        raise InventoryError(f"{source}: " + "; ".join(r.reason for r in rejected))
    return Inventory(devices=tuple(devices), rejected=tuple(rejected))


def _validate_entry(
    index: int, entry: Any, defaults: dict[str, Any]
) -> tuple[Device | None, list[str]]:
    label = _label(index, entry)
    if not isinstance(entry, dict):
        return None, [f"{label}: expected a mapping, got {type(entry).__name__}"]
    try:
        return Device.model_validate({**defaults, **entry}), []
    except ValidationError as exc:
        return None, [f"{label}: {_field_error(err)}" for err in exc.errors()]


def _usable_name(entry: Any, accepted: list[Device]) -> str | None:
    """The entry's name when it can carry a status of its own (valid, not taken)."""
    name = entry.get("name") if isinstance(entry, dict) else None
    if not isinstance(name, str) or not re.match(DEVICE_NAME_PATTERN, name):
        return None
    return None if any(d.name == name for d in accepted) else name


def load_inventory(path: Path, *, strict: bool = True) -> Inventory:
    """Read and validate an inventory YAML file (see `parse_inventory` for `strict`)."""
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise InventoryError(f"{path}: cannot read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise InventoryError(f"{path}: not valid YAML: {exc}") from exc
    return parse_inventory(data, source=str(path), strict=strict)


def dump_inventory(inventory: Inventory) -> str:
    """YAML text for an inventory, secrets included (used for generated simulator fleets)."""
    rows = []
    for device in inventory.devices:
        row = device.model_dump(mode="json", exclude_none=True)
        if device.password is not None:
            row["password"] = device.password.get_secret_value()
        if device.password_encrypted is not None:
            row["password_encrypted"] = device.password_encrypted.get_secret_value()
        rows.append(row)
    return yaml.safe_dump({"devices": rows}, sort_keys=False)


def _label(index: int, entry: Any) -> str:
    name = entry.get("name") if isinstance(entry, dict) else None
    return f"device #{index + 1} ({name!r})" if name else f"device #{index + 1}"


def _field_error(err: Any) -> str:
    loc = ".".join(str(p) for p in err["loc"])
    message = err["msg"]
    if err["type"] == "string_pattern_mismatch" and loc == "name":
        message = "must be letters, digits, '-' or '_' (it becomes a NATS subject token)"
    if err["type"] == "value_error":
        message = message.removeprefix("Value error, ")
    if not loc:  # the whole-entry checks are all about the credentials
        return f"fields 'password', 'password_encrypted', 'key_file': {message}"
    return f"field '{loc}': {message}"
