"""The unit of work: one SQLModel session, one transaction, every repository."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Engine
from sqlmodel import Session

from storage.core_repos import SqlCommunityRepo, SqlMemberRepo, SqlProfileRepo
from storage.jobs import SqlJobRepo
from storage.posts import SqlPostRepo


class SqlUnitOfWork:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.session: Session | None = None

    def __enter__(self) -> SqlUnitOfWork:
        self.session = Session(self._engine, expire_on_commit=False)
        s = self.session
        self.communities = SqlCommunityRepo(s)
        self.members = SqlMemberRepo(s)
        self.profiles = SqlProfileRepo(s)
        self.jobs = SqlJobRepo(s)
        self.posts = SqlPostRepo(s)
        self._attach_features(s)
        return self

    def _attach_features(self, s: Session) -> None:
        """Feature repositories: each feature module exposes ``attach(uow, session)``."""
        from storage import meetings, pairing, questions, resources

        for module in (meetings, resources, pairing, questions):
            attach = getattr(module, "attach", None)
            if attach is not None:
                attach(self, s)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self.session is not None
        try:
            self.session.rollback()  # no-op after commit; undoes anything left uncommitted
        finally:
            self.session.close()
            self.session = None

    def commit(self) -> None:
        assert self.session is not None
        self.session.commit()

    def rollback(self) -> None:
        assert self.session is not None
        self.session.rollback()


class SqlUnitOfWorkFactory:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine)
