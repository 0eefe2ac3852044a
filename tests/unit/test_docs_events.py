"""docs/events.md stays true: every example payload validates against the model it names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from shared import events
from shared.subjects import PAYLOADS, Subjects

pytestmark = pytest.mark.unit

DOC = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def _sections() -> dict[str, str]:
    """Map each '## `subject`' heading of the page to the text under it."""
    parts = re.split(r"^## `([^`]+)`\s*$", DOC.read_text(), flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def _examples(text: str) -> list[str]:
    return re.findall(r"```json\n(.*?)```", text, flags=re.DOTALL)


def _model_names(text: str) -> list[str]:
    return re.findall(r"payload(?: model)?: `(\w+)`", text, flags=re.IGNORECASE)


def test_events_doc_has_a_section_for_every_subject_family() -> None:
    s = Subjects("nv")
    documented = set(_sections())
    expected = {
        s.metrics("<device>"), s.device_status("<device>"), s.collection_error("<device>"),
        s.rpc_storage("query"), s.rpc_storage("stats"), s.rpc_collector("poll_fast"),
    }
    assert expected <= documented
    assert len(PAYLOADS) == len(expected)


@pytest.mark.parametrize("subject", sorted(_sections()))
def test_events_doc_examples_validate_against_their_models(subject: str) -> None:
    text = _sections()[subject]
    models: list[type[BaseModel]] = [getattr(events, name) for name in _model_names(text)]
    # reply models shown beside their requests
    models += [events.MetricQueryResult, events.StorageStats, events.RpcErrorReply]
    examples = _examples(text)
    assert examples, f"no example payload under {subject}"
    for example in examples:
        assert any(_validates(model, example) for model in models), example


def _validates(model: type[BaseModel], text: str) -> bool:
    try:
        model.model_validate_json(text)
    except ValueError:
        return False
    return True
