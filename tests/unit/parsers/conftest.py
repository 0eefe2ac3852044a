"""Fixtures for the network-device parser tests."""

from __future__ import annotations

from pathlib import Path

import pytest

# The shared checks assert inside parser_expect; rewriting keeps pytest's value diffs there.
pytest.register_assert_rewrite("parser_expect")


@pytest.fixture
def ntc(corpus: Path) -> Path:
    """The ntc-templates part of the corpus; skips like `corpus` when it is absent."""
    return corpus / "ntc-templates"
