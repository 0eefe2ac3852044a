"""A real asyncssh client against the simulated devices on loopback."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import asyncssh
import pytest
from ntc_templates.parse import parse_output

from services.simulator.vendors import scenarios as faults
from services.simulator.vendors.factory import build_device
from services.simulator.vendors.scenarios import SessionScenarios
from services.simulator.vendors.server import VendorDeviceHandle, start_vendor_device
from shared.inventory import Platform

pytestmark = pytest.mark.integration

T0 = 1_760_000_000.0
TIMEOUT = 5.0


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


async def start(platform: Platform, session: SessionScenarios | None = None,
                clock: Clock | None = None) -> VendorDeviceHandle:
    state = build_device(platform, hostname="r1", now=T0, seed=5)
    return await start_vendor_device(state, username="admin", password="pw",
                                     scenarios=session, clock=clock or Clock())


@pytest.fixture
async def ios() -> AsyncIterator[VendorDeviceHandle]:
    handle = await start(Platform.CISCO_IOS)
    yield handle
    await handle.close()


def connect(handle: VendorDeviceHandle, password: str = "pw",
            **options: object) -> asyncssh.connection._ACMWrapper[asyncssh.SSHClientConnection]:
    return asyncssh.connect(handle.host, handle.port, username="admin", password=password,
                            known_hosts=None, **options)  # type: ignore[arg-type]


async def read_to_prompt(proc: asyncssh.SSHClientProcess[str], prompt: str = "\r\nr1#") -> str:
    return await asyncio.wait_for(proc.stdout.readuntil(prompt), TIMEOUT)


async def test_vendor_shell_shows_banner_then_prompt_when_logged_in(
    ios: VendorDeviceHandle,
) -> None:
    async with connect(ios) as conn:
        proc = await conn.create_process(term_type="vt100")
        greeting = await read_to_prompt(proc)
        proc.close()
    # The banner holds both prompt characters; the real prompt comes after it.
    assert "r1> AUTHORISED ACCESS ONLY <r1#" in greeting
    assert greeting.endswith("####\r\n\r\nr1#")


async def test_vendor_shell_returns_full_output_when_paging_disabled(
    ios: VendorDeviceHandle,
) -> None:
    async with connect(ios) as conn:
        proc = await conn.create_process(term_type="vt100")
        await read_to_prompt(proc)
        proc.stdin.write("terminal length 0\r")
        await read_to_prompt(proc)
        proc.stdin.write("show interfaces\r")
        output = await read_to_prompt(proc)
        proc.close()
    assert "--More--" not in output
    assert output.startswith("show interfaces\r\n")  # command echo
    body = output.removeprefix("show interfaces\r\n").removesuffix("\r\nr1#").replace("\r", "")
    rows = parse_output(platform="cisco_ios", command="show interfaces", data=body)
    assert [r["interface"] for r in rows] == [i.name for i in ios.state.interfaces]


async def test_vendor_shell_pages_until_space_when_paging_enabled(
    ios: VendorDeviceHandle,
) -> None:
    async with connect(ios) as conn:
        proc = await conn.create_process(term_type="vt100")
        await read_to_prompt(proc)
        proc.stdin.write("show interfaces\r")
        first = await asyncio.wait_for(proc.stdout.readuntil(" --More-- "), TIMEOUT)
        proc.stdin.write(" ")
        second = await asyncio.wait_for(proc.stdout.readuntil(" --More-- "), TIMEOUT)
        proc.stdin.write("q")
        # The pager prompt is erased in place, so the prompt starts that same line.
        await read_to_prompt(proc, "r1#")
        proc.close()
    # 23 lines per page: the echo line plus 23 output lines before the first pager prompt.
    assert first.count("\r\n") == 24
    assert second.startswith("\b" * 10) and second.count("\r\n") == 23


async def test_vendor_shell_uses_junos_prompt_and_pager() -> None:
    handle = await start(Platform.JUNIPER_JUNOS)
    try:
        async with connect(handle) as conn:
            proc = await conn.create_process(term_type="vt100")
            await read_to_prompt(proc, "\r\nadmin@r1> ")
            proc.stdin.write("show interfaces extensive\r")
            paged = await asyncio.wait_for(proc.stdout.readuntil("---(more)---"), TIMEOUT)
            proc.stdin.write("q")
            await read_to_prompt(proc, "admin@r1> ")
            proc.stdin.write("set cli screen-length 0\r")
            await read_to_prompt(proc, "\r\nadmin@r1> ")
            proc.stdin.write("show bgp summary\r")
            full = await read_to_prompt(proc, "\r\nadmin@r1> ")
            proc.stdin.write("show bogus\r")
            error = await read_to_prompt(proc, "\r\nadmin@r1> ")
            proc.close()
    finally:
        await handle.close()
    assert "Physical interface:" in paged
    assert "---(more)---" not in full and "inet.0:" in full
    assert "syntax error." in error


async def test_vendor_shell_answers_invalid_input_when_command_unknown(
    ios: VendorDeviceHandle,
) -> None:
    async with connect(ios) as conn:
        proc = await conn.create_process(term_type="vt100")
        await read_to_prompt(proc)
        proc.stdin.write("show bogus\r")
        output = await read_to_prompt(proc)
        proc.close()
    assert output.replace("\r", "") == (
        "show bogus\n" + " " * 8 + "^\n% Invalid input detected at '^' marker.\n\nr1#"
    ).replace("\n\nr1#", "\nr1#")


async def test_vendor_server_answers_exec_request_with_json() -> None:
    handle = await start(Platform.CISCO_NXOS)
    try:
        async with connect(handle) as conn:
            result = await conn.run("show version | json", check=True)
    finally:
        await handle.close()
    assert json.loads(str(result.stdout))["host_name"] == "r1"


async def test_vendor_server_refuses_login_when_password_wrong(ios: VendorDeviceHandle) -> None:
    with pytest.raises(asyncssh.PermissionDenied):
        async with connect(ios, password="wrong"):
            pass


async def test_vendor_server_refuses_login_when_auth_scenario_set(
    ios: VendorDeviceHandle,
) -> None:
    ios.scenarios.refuse_auth = True
    with pytest.raises(asyncssh.PermissionDenied):
        async with connect(ios):
            pass


async def test_vendor_shell_never_answers_when_command_hangs(ios: VendorDeviceHandle) -> None:
    ios.scenarios.hang_commands = frozenset({"show version"})
    async with connect(ios) as conn:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(conn.run("show version"), 0.3)
        # Other commands still answer on the same connection.
        result = await asyncio.wait_for(conn.run("show ip bgp summary"), TIMEOUT)
    assert "BGP router identifier" in str(result.stdout)


async def test_vendor_shell_drops_connection_when_scenario_set(ios: VendorDeviceHandle) -> None:
    ios.scenarios.drop_on_commands = frozenset({"show version"})
    async with connect(ios) as conn:
        proc = await conn.create_process(term_type="vt100")
        await read_to_prompt(proc)
        proc.stdin.write("show version\r")
        with pytest.raises(asyncio.IncompleteReadError):
            await read_to_prompt(proc)
        # The whole connection is gone, not just the channel.
        await asyncio.wait_for(conn.wait_closed(), TIMEOUT)


# cryptography warns that finite-field DH is deprecated: that is the point of this scenario.
@pytest.mark.filterwarnings("ignore:Diffie-Hellman over finite fields")
async def test_vendor_server_offers_only_legacy_algorithms_when_scenario_set() -> None:
    handle = await start(Platform.CISCO_IOS, SessionScenarios(legacy_algorithms=True))
    try:
        with pytest.raises(asyncssh.KeyExchangeFailed):
            async with connect(handle):
                pass
        async with connect(handle, kex_algs=["diffie-hellman-group1-sha1"],
                           encryption_algs=["aes128-cbc"], mac_algs=["hmac-sha1"]) as conn:
            result = await conn.run("show version")
            negotiated = conn.get_extra_info("send_cipher")
    finally:
        await handle.close()
    assert "Cisco IOS Software" in str(result.stdout)
    assert negotiated == "aes128-cbc"


async def test_vendor_shell_shows_reset_uptime_when_rebooted_at_runtime() -> None:
    clock = Clock()
    handle = await start(Platform.CISCO_IOS, clock=clock)
    try:
        async with connect(handle) as conn:
            clock.now = T0 + 600
            faults.reboot(handle.state, clock.now)
            clock.now = T0 + 600 + 5 * 60
            result = await conn.run("show version")
    finally:
        await handle.close()
    assert "r1 uptime is 5 minutes" in str(result.stdout)


async def test_vendor_shell_emits_ansi_when_colour_scenario_set(ios: VendorDeviceHandle) -> None:
    ios.scenarios.ansi_colour = True
    async with connect(ios) as conn:
        proc = await conn.create_process(term_type="vt100")
        greeting = await asyncio.wait_for(proc.stdout.readuntil("r1#\x1b[0m"), TIMEOUT)
        proc.close()
    assert "\x1b[1;32mr1#" in greeting
