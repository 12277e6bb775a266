"""resources tables and repository (filled in by the resources feature)."""
