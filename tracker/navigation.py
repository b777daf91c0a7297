"""The main navigation, assembled from what each blueprint registers.

Links are grouped into a few menus (Work, Regulation, Vendors, Settings) so the bar fits a
laptop and a phone without scrolling sideways. A blueprint names its group when it registers a
link; links registered without one fall into the group their endpoint is known by, else "Work".
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask

GROUPS = ("Work", "Regulation", "Vendors", "Settings")
# Where the links registered before groups existed belong (endpoint -> group).
DEFAULT_GROUPS = {
    "obligations.index": "Work", "timeline.index": "Work", "reports.index": "Work",
    "sources.index": "Regulation", "events.index": "Regulation", "watches.index": "Regulation",
    "vendors.index": "Vendors", "vendor_matrix.matrix": "Vendors",
    "teams.index": "Settings", "channels.overview": "Settings", "feeds.subscribe": "Settings",
    "api_tokens.reference": "Settings", "users.index": "Settings", "transfer.import_pack": "Settings",
    "outbox.index": "Settings", "api_tokens.admin_tokens": "Settings", "organization.settings": "Settings",
}


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    roles: tuple[str, ...] = ("admin", "editor", "viewer")
    order: int = 50
    group: str = "Work"

    @property
    def admin_only(self) -> bool:
        return self.roles == ("admin",)


@dataclass(frozen=True)
class NavGroup:
    """One menu of the bar: its name and the links the current user may follow."""

    name: str
    items: tuple[NavItem, ...]

    def holds(self, endpoint: str | None) -> bool:
        return any(item.endpoint == endpoint for item in self.items)


def add_nav_item(app: Flask, label: str, endpoint: str, roles: tuple[str, ...] | None = None,
                 order: int = 50, group: str | None = None) -> None:
    """Show a link to `endpoint` in the navigation menu `group` for users with one of `roles`."""
    items = app.extensions.setdefault("nav_items", [])
    items.append(NavItem(label, endpoint, roles or ("admin", "editor", "viewer"), order,
                         group or DEFAULT_GROUPS.get(endpoint, "Work")))
    items.sort(key=lambda item: (item.order, item.label))


def add_account_link(app: Flask, label: str, endpoint: str, description: str = "") -> None:
    """List a personal settings page (tokens, feeds, email) on the account page and in the user menu."""
    app.extensions.setdefault("account_links", []).append(NavItem(label, endpoint, order=len(
        app.extensions.get("account_links", []))))
    app.extensions.setdefault("account_link_descriptions", {})[endpoint] = description


def menus_for(items: list[NavItem], role: str, endpoints: set[str] | dict) -> list[NavGroup]:
    """The menus a user with `role` sees, in GROUPS order, without links to missing endpoints.

    A link may name an endpoint another part of the product adds later (Reports): it shows only
    once that endpoint exists.
    """
    menus = []
    for name in GROUPS + tuple(sorted({item.group for item in items} - set(GROUPS))):
        seen: set[str] = set()
        visible = tuple(item for item in items
                        if item.group == name and role in item.roles and item.endpoint in endpoints
                        and not (item.endpoint in seen or seen.add(item.endpoint)))
        if visible:
            menus.append(NavGroup(name, visible))
    return menus


def init_app(app: Flask) -> None:
    @app.context_processor
    def nav_items():
        return {
            "nav_items": app.extensions.get("nav_items", []),
            "nav_menus": lambda role: menus_for(app.extensions.get("nav_items", []), role,
                                                app.view_functions),
            "view_functions": app.view_functions,
            "account_links": app.extensions.get("account_links", []),
            "account_link_descriptions": app.extensions.get("account_link_descriptions", {}),
        }
