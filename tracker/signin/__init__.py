"""Sign-in with the company's identity provider (OpenID Connect); see docs/security.md."""
