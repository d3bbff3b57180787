"""Who is who and what they may do: institutions, API keys (publishable and secret), session
tokens, and reviewer accounts."""
