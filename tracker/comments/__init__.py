"""Comments on obligations and vendor requests: safe Markdown, mentions, edit window, deletion."""
