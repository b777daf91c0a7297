"""The main navigation, assembled from what each blueprint registers."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    roles: tuple[str, ...] = ("admin", "editor", "viewer")
    order: int = 50


def add_nav_item(app: Flask, label: str, endpoint: str, roles: tuple[str, ...] | None = None,
                 order: int = 50) -> None:
    """Show a link to `endpoint` in the top navigation for users with one of `roles`."""
    items = app.extensions.setdefault("nav_items", [])
    items.append(NavItem(label, endpoint, roles or ("admin", "editor", "viewer"), order))
    items.sort(key=lambda item: (item.order, item.label))


def add_account_link(app: Flask, label: str, endpoint: str, description: str = "") -> None:
    """List a personal settings page (tokens, feeds, email) on the account page."""
    app.extensions.setdefault("account_links", []).append(NavItem(label, endpoint, order=len(
        app.extensions.get("account_links", []))))
    app.extensions.setdefault("account_link_descriptions", {})[endpoint] = description


def init_app(app: Flask) -> None:
    @app.context_processor
    def nav_items():
        return {
            "nav_items": app.extensions.get("nav_items", []),
            "account_links": app.extensions.get("account_links", []),
            "account_link_descriptions": app.extensions.get("account_link_descriptions", {}),
        }
