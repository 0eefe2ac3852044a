"""Tests every MetricStore backend must pass, parametrised over sqlite, postgres and file."""
