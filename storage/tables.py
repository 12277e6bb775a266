"""Import every table module so SQLModel.metadata (and Alembic) knows the whole schema."""

# Feature tables register themselves on import; keep this list in step with storage/uow.py.
from storage import (  # noqa: F401
    meetings,
    models,
    pairing,
    posts,
    questions,
    resources,
)
