"""Feature modules. Importing one registers its commands, settings and jobs."""

from __future__ import annotations

import importlib

from bot.commands import Registry

FEATURES = (
    "bot.features.community",
    "bot.features.profiles",
    "bot.features.help",
    "bot.features.meetings",
    "bot.features.resources",
    "bot.features.pairing",
    "bot.features.questions",
)


def load_registry() -> Registry:
    for name in FEATURES:
        importlib.import_module(name)
    from bot.registry import REGISTRY

    return REGISTRY
