"""Interface names from users, encrypted passwords, and the command audit file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from cryptography.fernet import Fernet
from pydantic import SecretStr

from services.collector.audit import CommandAudit
from services.collector.commands import interface_command, matches_template
from services.collector.credentials import (
    decrypt_password,
    device_password,
    encrypt_for_inventory,
    encrypt_password,
    generate_key,
    load_secret_key,
)
from shared.errors import CommandRejected, ConfigError, InventoryError
from shared.inventory import dump_inventory, parse_inventory
from shared.settings import NetvigilSettings

pytestmark = pytest.mark.unit

TEMPLATE = "show interfaces {interface}"


@pytest.mark.parametrize(
    "name",
    [
        "eth0",  # Linux
        "GigabitEthernet0/0/1",  # IOS
        "Ethernet1/1",  # NX-OS, EOS
        "ge-0/0/0.0",  # Junos unit
        "Port-channel10",
        "Serial0/0/0:1",  # channelised
        "vlan_100",
    ],
)
def test_interface_command_fills_template_when_name_is_plain(name: str) -> None:
    assert interface_command(TEMPLATE, name) == f"show interfaces {name}"


@pytest.mark.parametrize(
    "name",
    [
        "eth0; reboot",  # command chaining
        "$(id)",  # command substitution
        "`id`",  # backticks
        "eth0\nreload",  # newline starts a second CLI command
        "eth0 | include x",  # pipe and spaces
        "eth0 extra",  # a space alone
        "eth0&&reboot",
        "eth0>/tmp/x",
        "'eth0'",
        "",
        "-eth0",  # looks like an option
        "e" * 65,  # too long
        "eth0\r",
        "eth0\x00",
    ],
)
def test_interface_command_refuses_name_when_it_has_metacharacters(name: str) -> None:
    with pytest.raises(CommandRejected, match="refused"):
        interface_command(TEMPLATE, name, device="r1")


def test_interface_command_refuses_template_when_placeholder_count_is_wrong() -> None:
    with pytest.raises(CommandRejected, match="exactly one"):
        interface_command("show interfaces", "eth0")


def test_matches_template_accepts_only_filled_templates_when_checking_allow_list() -> None:
    assert matches_template("show interfaces Ethernet1/1", TEMPLATE)
    assert not matches_template("show interfaces Ethernet1/1; reload", TEMPLATE)
    assert not matches_template("show interfaces Ethernet1/1 | json", TEMPLATE)
    assert not matches_template("show running-config", TEMPLATE)


def test_encrypted_password_decrypts_with_library_when_key_matches() -> None:
    key = generate_key().encode()
    value = encrypt_password("pa55 word!", key=key)
    assert value.startswith("nv1:") and "pa55" not in value
    # An independent decryption with the library itself, not through our helper.
    assert Fernet(key).decrypt(value[4:].encode()) == b"pa55 word!"
    assert decrypt_password(value, key=key, device="r1").get_secret_value() == "pa55 word!"


def test_decrypt_password_names_device_when_key_is_wrong_or_missing() -> None:
    value = encrypt_password("x", key=generate_key().encode())
    with pytest.raises(ConfigError, match="r1: password_encrypted was not made"):
        decrypt_password(value, key=generate_key().encode(), device="r1")
    with pytest.raises(ConfigError, match="r1: password_encrypted needs a key"):
        decrypt_password(value, key=None, device="r1")


def test_load_secret_key_reads_environment_before_file_when_both_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_key, file_key = generate_key(), generate_key()
    key_file = tmp_path / "secret.key"
    key_file.write_text(file_key + "\n")
    monkeypatch.setenv("NETVIGIL_SECRET_KEY", env_key)
    assert load_secret_key(NetvigilSettings(secret_key_file=key_file)) == env_key.encode()
    monkeypatch.delenv("NETVIGIL_SECRET_KEY")
    assert load_secret_key(NetvigilSettings(secret_key_file=key_file)) == file_key.encode()
    assert load_secret_key(NetvigilSettings()) is None


def test_load_secret_key_refuses_key_when_it_is_not_fernet() -> None:
    with pytest.raises(ConfigError, match="not a Fernet key"):
        load_secret_key(NetvigilSettings(secret_key=SecretStr("changeme")))


def test_inventory_keeps_encrypted_password_secret_when_printed_or_dumped() -> None:
    key = generate_key().encode()
    value = encrypt_password("hunter2", key=key)
    inventory = parse_inventory({"devices": [{
        "name": "r1", "host": "192.0.2.1", "platform": "cisco_ios", "username": "monitor",
        "password_encrypted": value,
    }]})
    [device] = inventory.devices
    assert value not in repr(device) and value not in device.model_dump_json()
    assert device_password(device, key=key) == SecretStr("hunter2")
    assert parse_inventory(yaml.safe_load(dump_inventory(inventory))) == inventory


def test_inventory_refuses_encrypted_password_when_prefix_missing_or_both_given() -> None:
    base = {"name": "r1", "host": "h", "platform": "linux", "username": "u"}
    with pytest.raises(InventoryError, match="must start with 'nv1:'"):
        parse_inventory({"devices": [{**base, "password_encrypted": "plain"}]})
    with pytest.raises(InventoryError, match="not both"):
        parse_inventory({"devices": [{**base, "password": "p", "password_encrypted": "nv1:x"}]})


def test_command_audit_appends_one_json_line_when_command_recorded(tmp_path: Path) -> None:
    audit = CommandAudit(path=tmp_path / "audit" / "commands.jsonl")
    audit.record(device="r1", command="show version", scheduled_by="schedule", outcome="ok",
                 duration_s=0.0123456789)
    audit.record(device="r1", command="reload", scheduled_by="poll_fast request (x)",
                 outcome="refused", duration_s=0.0, error="not allow-listed")
    audit.close()
    lines = (tmp_path / "audit" / "commands.jsonl").read_text().splitlines()
    rows = [json.loads(line) for line in lines]
    assert [(r["command"], r["outcome"], r["scheduled_by"]) for r in rows] == [
        ("show version", "ok", "schedule"), ("reload", "refused", "poll_fast request (x)"),
    ]
    assert rows[0]["duration_s"] == 0.012346 and rows[1]["error"] == "not allow-listed"
    assert rows[0]["ts"].endswith("Z")


def test_encrypt_for_inventory_uses_configured_key_when_cli_encrypts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NETVIGIL_SECRET_KEY", raising=False)
    key = generate_key()
    key_file = tmp_path / "secret.key"
    key_file.write_text(key)
    value = encrypt_for_inventory("pw", NetvigilSettings(secret_key_file=key_file))
    assert Fernet(key.encode()).decrypt(value.removeprefix("nv1:").encode()) == b"pw"
    with pytest.raises(ConfigError, match="no key to encrypt with"):
        encrypt_for_inventory("pw", NetvigilSettings())
