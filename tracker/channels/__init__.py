"""Notification channels: Slack, Microsoft Teams and signed webhooks, fed by a durable queue."""
