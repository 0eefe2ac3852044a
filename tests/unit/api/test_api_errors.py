"""The one mapping from netvigil errors to HTTP status codes."""

from __future__ import annotations

import pytest

from services.api.errors import http_error
from shared.errors import (
    BusError,
    ConfigError,
    NetvigilError,
    QueryError,
    RpcError,
    RpcTimeout,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        # a query the API itself finds unanswerable
        (QueryError("'from' is after 'to'"), (400, "'from' is after 'to'")),
        # storage refused the query: its message goes to the caller unchanged
        (RpcError(400, "unknown metric 'x'"), (400, "unknown metric 'x'")),
        # storage broke while answering
        (RpcError(500, "RuntimeError: boom"),
         (502, "backend service failed (error 500): RuntimeError: boom")),
        # nobody answered
        (RpcTimeout("storage did not answer within 2 s"),
         (503, "storage did not answer within 2 s")),
        # the bus itself failed
        (BusError("connection closed"), (502, "connection closed")),
        # anything else is our fault
        (ConfigError("bad"), (500, "ConfigError: bad")),
    ],
)
def test_http_error_maps_domain_error_to_status(
    error: NetvigilError, expected: tuple[int, str]
) -> None:
    assert http_error(error) == expected
