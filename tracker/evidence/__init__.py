"""Evidence on our own obligations: files and links, validity, expiry, "marking done needs evidence"."""
