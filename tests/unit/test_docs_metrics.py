"""docs/metrics.md lists exactly the catalog."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.catalog import CATALOG, markdown_table

pytestmark = pytest.mark.unit

DOC = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"


def test_metrics_doc_contains_the_catalog_table() -> None:
    assert markdown_table() in DOC.read_text(), "regenerate with: python -m shared.catalog"


def test_catalog_names_are_lowercase_dotted_and_units_set() -> None:
    for name, spec in CATALOG.items():
        assert name == name.lower() and " " not in name and name.count(".") >= 1
        assert spec.unit, name
