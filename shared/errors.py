"""One exception hierarchy for every netvigil service.

    NetvigilError
    ├── ConfigError            settings or inventory that cannot be used
    │   └── InventoryError     names the device and the field
    ├── DeviceError            something went wrong talking to one device
    │   ├── DeviceUnreachable  (Retryable) TCP connect failed or connection dropped
    │   ├── DeviceTimeout      (Retryable) connect, login or command exceeded its deadline
    │   ├── AuthFailed         credentials refused; never retried quickly
    │   ├── HostKeyMismatch    the device's host key is not the recorded one
    │   ├── AlgorithmMismatch  no SSH algorithm both sides accept (legacy-only device)
    │   ├── DeviceOverloaded   (Retryable) the device says it is too busy to answer
    │   ├── CircuitOpen        too many recent failures: no attempt is made for a while
    │   ├── CommandRejected    the device answered with an error, or the command is not allowed
    │   └── ParseError         output did not have the expected shape
    ├── BusError               NATS trouble
    │   ├── RpcTimeout         (Retryable) nobody answered a request in time
    │   └── RpcError           the responder answered with an error code
    ├── StorageError           the metric store failed
    └── QueryError             a query that cannot be answered as asked (bad request)

Library exceptions are translated at one boundary per library (`raise ... from exc`);
only errors marked `Retryable` are retried.
"""

from __future__ import annotations


class NetvigilError(Exception):
    """Base of every error netvigil raises on purpose."""


class Retryable:
    """Mixin: trying the same operation again later may succeed."""


class ConfigError(NetvigilError):
    """Settings or inventory that cannot be used."""


class InventoryError(ConfigError):
    """An inventory entry is invalid; the message names the device and the field."""


class DeviceError(NetvigilError):
    """A failure talking to one device."""

    def __init__(self, device: str, message: str) -> None:
        super().__init__(f"{device}: {message}")
        self.device = device
        self.reason = message


class DeviceUnreachable(DeviceError, Retryable):
    """The TCP connection could not be made, or it dropped."""


class DeviceTimeout(DeviceError, Retryable):
    """Connect, login or a command exceeded its deadline."""


class AuthFailed(DeviceError):
    """The device refused our credentials."""


class HostKeyMismatch(DeviceError):
    """The device presented a host key we do not trust."""


class AlgorithmMismatch(DeviceError):
    """Key exchange failed: the device and we share no acceptable algorithm."""


class DeviceOverloaded(DeviceError, Retryable):
    """The device refused work because it is busy (sessions exhausted, fork failed)."""


class CircuitOpen(DeviceError):
    """A circuit breaker is open, so no connection or login was attempted."""


class CommandRejected(DeviceError):
    """The device refused a command, or it is not on the platform's allow-list."""


class ParseError(NetvigilError):
    """Command output did not have the shape the parser expects."""


class BusError(NetvigilError):
    """A NATS operation failed."""


class RpcTimeout(BusError, Retryable):
    """Nobody answered a request before its deadline."""


class RpcError(BusError):
    """The responder answered a request with an error."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class StorageError(NetvigilError):
    """The metric store failed."""


class QueryError(NetvigilError):
    """A query that cannot be answered as asked."""
