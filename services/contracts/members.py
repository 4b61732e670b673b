"""Members of an organisation: people who sign in as themselves (OpenID Connect) for a provider,
an advisor team or the analysts, each with a role. Kept by the service that keeps the
organisation (``services/chassis/members.py``); the gateway's pages and API send these."""
from __future__ import annotations

from typing import Annotated, ClassVar, Literal, TypedDict

from pydantic import AfterValidator, BaseModel, ConfigDict

from services.contracts.contact import email_address
from services.contracts.vocabulary import VOCABULARY

# the organisation the analysts are (a provider is its id, an advisor team its code)
ANALYSTS = "analysts"
# beheerder: invites and removes the organisation's members; medewerker: works in its pages
# (the roles and their words are declared once, in the vocabulary)
MEMBER_ROLES: tuple[str, ...] = tuple(VOCABULARY["member_role"])
MemberRole = Literal[MEMBER_ROLES]


class NewMember(BaseModel):
    """An invitation: the person's work address (their first sign-in must show it, verified)."""
    model_config = ConfigDict(extra="forbid")
    what: ClassVar[str] = "invitation"

    email: Annotated[str, AfterValidator(lambda value: email_address(value).lower())]
    role: MemberRole = "medewerker"


class Member(TypedDict):
    id: str
    organisation: str
    email: str
    name: str | None        # as the identity provider gave it at the last sign-in; None until then
    role: str
    invited_by: str
    invited_at: str
    last_signed_in_at: str | None


class Person(TypedDict):
    """Who acts, beside the organisation they act for (a principal's ``person``)."""
    id: str
    name: str
    role: str


class SignedIn(TypedDict):
    """A person's sign-in, as the gateway read it from the identity provider's ID token."""
    issuer: str
    subject: str
    email: str | None       # only a verified address
    name: str | None
