"""The HTTP gateway: devices with their live status, metric queries, health, OpenAPI docs."""
