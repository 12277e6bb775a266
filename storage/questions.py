"""questions tables and repository (filled in by the questions feature)."""
