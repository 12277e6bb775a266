"""pairing (to be built; see its issue)."""
