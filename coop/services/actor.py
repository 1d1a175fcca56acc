"""Who is acting, and with which rights. Authorisation is checked here, in the services,
so every face (portal, API token, CLI) gets the same answer."""

from __future__ import annotations

from dataclasses import dataclass

from coop.errors import PermissionDenied
from coop.models import Member

#: API token scopes. A portal session holds all of them.
SCOPES = ("read", "vote", "propose", "admin")
ALL_SCOPES = frozenset(SCOPES)


@dataclass(frozen=True)
class Actor:
    #: ``None`` is the operator at the command line (or the scheduler): the person who runs
    #: the installation, acting for a co-op's secretary.
    member: Member | None
    scopes: frozenset[str] = ALL_SCOPES

    @classmethod
    def operator(cls) -> "Actor":
        return cls(member=None)

    @classmethod
    def of(cls, member: Member, scopes: frozenset[str] | None = None) -> "Actor":
        return cls(member=member, scopes=ALL_SCOPES if scopes is None else frozenset(scopes))

    @property
    def is_operator(self) -> bool:
        return self.member is None

    @property
    def member_id(self) -> int | None:
        return None if self.member is None else self.member.id

    def require_scope(self, scope: str) -> None:
        if scope not in self.scopes:
            raise PermissionDenied(f"this token lacks the '{scope}' scope")

    def require_insider(self, coop_id: int) -> None:
        """The operator, or a member of this co-op (any status, any scope): the least a
        service asks before it looks up or locks one of the co-op's rows on the actor's
        behalf, so an outsider neither learns which rows exist nor holds them locked. The
        real check (author, secretary, scope) follows once the row is known."""
        if self.member is not None and self.member.coop_id != coop_id:
            raise PermissionDenied("only members of this co-op may do this")

    def require_member(self, coop_id: int, scope: str = "read") -> Member:
        """An active member of this co-op (the operator is not a member and cannot vote)."""
        self.require_scope(scope)
        m = self.member
        if m is None or m.coop_id != coop_id:
            raise PermissionDenied("only members of this co-op may do this")
        if not m.is_active:
            raise PermissionDenied(f"only active members may do this; your status is {m.status}")
        return m

    def require_secretary(self, coop_id: int) -> None:
        """The co-op's secretary or admin, or the operator."""
        self.require_scope("admin")
        if self.member is None:
            return
        if self.member.coop_id != coop_id or not self.member.is_secretary or not self.member.is_active:
            raise PermissionDenied("only the co-op's secretary or an admin may do this")

    def require_admin(self, coop_id: int) -> None:
        self.require_scope("admin")
        if self.member is None:
            return
        if self.member.coop_id != coop_id or not self.member.is_admin or not self.member.is_active:
            raise PermissionDenied("only a co-op admin may do this")

    def require_authority_over(self, member: Member, doing: str) -> None:
        """The secretary's authority over ``member``'s membership or account: a secretary
        (or admin) for members and secretaries, an admin for an admin, the operator for
        anyone. Without it a secretary could suspend the admins who appointed them, or
        take over an admin's account and with it the admin role."""
        self.require_secretary(member.coop_id)
        if member.is_admin and self.member is not None and not self.member.is_admin:
            raise PermissionDenied(f"only an admin may {doing} an admin")
