"""meetings tables and repository (filled in by the meetings feature)."""
