"""The register: obligations, source events and their use cases, recompute, queries."""
