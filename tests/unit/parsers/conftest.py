"""Fixtures for the network-device parser tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def ntc(corpus: Path) -> Path:
    """The ntc-templates part of the corpus; skips like `corpus` when it is absent."""
    return corpus / "ntc-templates"
