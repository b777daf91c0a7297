"""Email content: rendering bodies, the .ics attachment, assembling the message."""
