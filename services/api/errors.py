"""The one place where netvigil errors become HTTP answers.

    QueryError                -> 400  the query cannot be answered as asked
    RpcError with code 400    -> 400  the backend refused the query; its message is passed on
    RpcError, other codes     -> 502  the backend failed while answering
    RpcTimeout                -> 503  nobody answered in time
    BusError (anything else)  -> 502  the bus itself failed
    any other NetvigilError   -> 500

Bad query parameters never get here: FastAPI answers them with 422.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from shared.errors import BusError, NetvigilError, QueryError, RpcError, RpcTimeout

log = logging.getLogger(__name__)


def http_error(exc: NetvigilError) -> tuple[int, str]:
    """The HTTP status code and detail text for a domain error."""
    if isinstance(exc, QueryError):
        return 400, str(exc)
    if isinstance(exc, RpcError):
        if exc.code == 400:
            return 400, exc.message
        return 502, f"backend service failed (error {exc.code}): {exc.message}"
    if isinstance(exc, RpcTimeout):
        return 503, str(exc)
    if isinstance(exc, BusError):
        return 502, str(exc)
    return 500, f"{type(exc).__name__}: {exc}"


async def _handle(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, NetvigilError)  # registered for NetvigilError only
    status, detail = http_error(exc)
    if status >= 500:
        log.warning("%s %s -> %d: %s", request.method, request.url.path, status, detail)
    return JSONResponse(status_code=status, content={"detail": detail})


def install_error_handler(app: FastAPI) -> None:
    """Register the domain-error handler on `app`."""
    app.add_exception_handler(NetvigilError, _handle)
