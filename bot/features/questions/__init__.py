"""Anonymous questions under the Chatham House Rule (see docs/privacy.md).

Importing the package registers its settings, commands, jobs, DM-draft handler, agenda
slot and meeting-notes listener.
"""

from bot.features.questions import asking, manage, release, timing  # noqa: F401
