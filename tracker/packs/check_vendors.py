"""Checks for the `vendors` section of a pack and the `vendors` scope of an obligation."""

from __future__ import annotations

from tracker.fields import check_category, check_country, check_jurisdiction, check_url
from tracker.models.vendors import CONTACT_ROLES, VENDOR_STATUSES
from tracker.packs.check_base import Checker, JsonObject
from tracker.packs.messages import quote
from tracker.packs.specs import (
    KEY_MAX, LONG_TEXT_MAX, TITLE_MAX, URL_MAX, ContactSpec, ExistingKeys, VendorScopeSpec, VendorSpec,
)
from tracker.vendors.scope import Scope, scope_problem

_VENDOR_FIELDS = frozenset({"key", "name", "website", "country", "categories", "markets", "status", "team",
                            "owner", "notes", "contacts"})
_CONTACT_FIELDS = frozenset({"name", "email", "role"})
_SCOPE_FIELDS = frozenset({"categories", "markets", "keys"})


class VendorChecks(Checker):
    """Checks vendor items (after teams) and obligation scopes (against the vendors so far)."""

    def __init__(self, existing: ExistingKeys) -> None:
        super().__init__(existing)
        self.vendor_keys: set[str] = set()
        self.vendor_scopes: list[VendorScopeSpec] = []

    def tag_list(self, obj: JsonObject, name: str, check, *, upper: bool = False) -> tuple[str, ...] | None:
        """A list of tags or codes, each checked by `check`; None when absent or null."""
        if not obj.present(name):
            return None
        values: list[str] = []
        for value, path, pos in self.items(obj, name):
            text = self.string(value, path, pos, limit=KEY_MAX)
            if text is None:
                continue
            if problem := check(text, show=quote):
                self.error(path, pos, problem)
            elif text not in values:
                values.append(text)
        return tuple(values)

    def vendor(self, obj: JsonObject) -> VendorSpec | None:
        before = len(self.errors)
        key = self.defined_key(obj, _VENDOR_FIELDS, self.vendor_keys)
        name = self.text(obj, "name", limit=TITLE_MAX)
        website = self.text(obj, "website", limit=URL_MAX, required=False)
        if website and (problem := check_url(website, show=quote)):
            self.field_error(obj, "website", problem)
        country = self.text(obj, "country", limit=KEY_MAX, required=False)
        if country and (problem := check_country(country, show=quote)):
            self.field_error(obj, "country", problem)
        categories = self.tag_list(obj, "categories", check_category) or ()
        markets = self.tag_list(obj, "markets", check_jurisdiction) or ()
        status = self.choice(obj, "status", VENDOR_STATUSES, "vendor status", required=False, default="active")
        team = self.reference(obj, "team", self.team_keys, self.existing.teams, "team")
        owner, _ = self.email(obj, "owner", required=False)
        if owner is not None and owner not in self.member_emails and owner not in self.existing_users:
            self.field_error(obj, "owner", f"{quote(owner)} is not a member of a team in this pack or an existing user")
        notes = self.text(obj, "notes", limit=LONG_TEXT_MAX, required=False, multiline=True)
        contacts = []
        seen: dict[str, str] = {}
        for value, path, pos in self.items(obj, "contacts"):
            contact = self.as_object(value, path, pos)
            if contact is not None:
                contacts.append(self.contact(contact, seen))
        if len(self.errors) > before:
            return None
        return VendorSpec(key=key, name=name, website=website, country=country, categories=categories,
                          markets=markets, status=status, team=team, owner=owner, notes=notes,
                          contacts=tuple(contacts))  # type: ignore[arg-type]

    def contact(self, obj: JsonObject, seen: dict[str, str]) -> ContactSpec | None:
        before = len(self.errors)
        self.check_fields(obj, _CONTACT_FIELDS)
        email, local = self.email(obj, "email", required=True)
        if email is not None:
            path, pos = obj.at("email")
            self.unique(seen, email, path, pos, "contact", obj.path)
        name = self.text(obj, "name", limit=TITLE_MAX, required=False)
        role = self.choice(obj, "role", CONTACT_ROLES, "contact role", required=False, default="primary")
        if len(self.errors) > before:
            return None
        return ContactSpec(name=name or "", email=email, role=role)  # type: ignore[arg-type]

    def vendor_scope(self, obligation: JsonObject, key: str | None) -> None:
        """Check an obligation's `vendors` scope and note it for the import."""
        path, pos = obligation.at("vendors")
        scope_obj = self.as_object(obligation.get("vendors"), path, pos)
        if scope_obj is None:
            return
        before = len(self.errors)
        self.check_fields(scope_obj, _SCOPE_FIELDS)
        categories = self.tag_list(scope_obj, "categories", check_category)
        markets = self.tag_list(scope_obj, "markets", check_jurisdiction)
        keys = None
        if scope_obj.present("keys"):
            keys = []
            for value, item_path, item_pos in self.items(scope_obj, "keys"):
                ref = self.string(value, item_path, item_pos, limit=KEY_MAX)
                if ref is None:
                    continue
                if ref not in self.vendor_keys and ref not in self.existing.vendors:
                    self.error(item_path, item_pos, f"unknown vendor {quote(ref)}")
                elif ref not in keys:
                    keys.append(ref)
            keys = tuple(keys)
        if len(self.errors) > before:
            return
        scope = Scope.of(categories, markets, keys)
        if problem := scope_problem(scope):
            self.error(path, pos, ("empty scope: " if scope.is_empty else "") + problem)
            return
        if key is not None:
            self.vendor_scopes.append(VendorScopeSpec(key, scope.categories, scope.markets, scope.keys))
