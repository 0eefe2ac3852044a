"""Platform drivers. The registry is `services.collector.drivers.registry.DRIVERS`.

This package module stays empty on purpose: parsers import `drivers.base` for `Reading`,
and a registry here would import every driver, and so every parser, in a cycle.
"""
