"""The one place where netvigil errors and refused requests become HTTP answers.

    QueryError                -> 400  the query cannot be answered as asked
    RpcError with code 400    -> 400  the backend refused the query; its message is passed on
    RpcError, other codes     -> 502  the backend failed while answering
    RpcTimeout                -> 503  nobody answered in time
    BusError (anything else)  -> 502  the bus itself failed
    any other NetvigilError   -> 500
    RequestValidationError    -> 422  bad parameters or body; details made JSON-safe

A route that builds a model from parameters FastAPI already checked does so inside
`params_named`, so what that model refuses is a 422 naming the parameter, not a 500.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

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


def json_safe(value: Any) -> Any:
    """`value` with every NaN or infinity written as a string ("inf"), which JSON can carry."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


@contextmanager
def params_named(names: Mapping[str, str]) -> Iterator[None]:
    """Turn a ValidationError of a model built from query parameters into a 422 naming them.

    `names` maps a model field to the query parameter it came from (`bucket_s` -> `bucket`).
    """
    try:
        yield
    except ValidationError as exc:
        errors = []
        for error in exc.errors():
            field, *rest = error["loc"] or ("",)
            errors.append({**error, "loc": ("query", names.get(str(field), field), *rest)})
        raise RequestValidationError(errors) from exc


async def _handle(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, NetvigilError)  # registered for NetvigilError only
    status, detail = http_error(exc)
    if status >= 500:
        log.warning("%s %s -> %d: %s", request.method, request.url.path, status, detail)
    return JSONResponse(status_code=status, content={"detail": detail})


async def _handle_invalid(request: Request, exc: Exception) -> JSONResponse:
    # FastAPI's own handler echoes the input, and an infinite number breaks its JSON.
    assert isinstance(exc, RequestValidationError)  # registered for it only
    detail = json_safe(jsonable_encoder(exc.errors()))
    return JSONResponse(status_code=422, content={"detail": detail})


def install_error_handler(app: FastAPI) -> None:
    """Register the domain-error and refused-request handlers on `app`."""
    app.add_exception_handler(NetvigilError, _handle)
    app.add_exception_handler(RequestValidationError, _handle_invalid)
