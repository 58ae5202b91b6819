"""Reading the spec: bytes, YAML, overlays, source positions, its JSON Schema and reference docs."""
