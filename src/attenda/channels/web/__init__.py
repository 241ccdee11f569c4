"""The web channel: the contact form a company embeds in its site, and its hosted page."""
