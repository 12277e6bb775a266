"""questions (to be built; see its issue)."""
