"""pairing tables and repository (filled in by the pairing feature)."""
