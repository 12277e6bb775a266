"""Row -> core record conversion (the core never sees SQLModel objects)."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")


def to_record(row: Any, cls: type[T], **overrides: Any) -> T:
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    values = {name: overrides[name] if name in overrides else getattr(row, name) for name in names}
    return cls(**values)
