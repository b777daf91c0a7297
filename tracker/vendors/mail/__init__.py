"""Vendor contacts' mail: planning (requests, reminders, change notices), the team's progress
summaries, rendering, the item queue, the checks made again at sending, and the notices the
vendor services queue (receipts, rejections, reopenings). The same file names as `tracker/mail/`."""
