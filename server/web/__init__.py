"""The HTTP plumbing every door shares: body limits, security headers and who the client is,
CORS, rate limits, and serving the built widget's files."""
