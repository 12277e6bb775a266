"""resources (to be built; see its issue)."""
