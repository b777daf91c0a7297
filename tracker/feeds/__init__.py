"""Calendar feeds: secret tokens, which obligations a feed shows, caches.

The iCalendar rendering itself is `tracker.feeds.ical`; the route is
`tracker.views.feeds`. See docs/feeds.md for the decisions.
"""
