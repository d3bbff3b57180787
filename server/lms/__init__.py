"""The LMS link (LTI 1.3): the platforms an institution registered, the OIDC logins Eye starts
with them, the strict check of every id_token they send back, and Eye's own signing keys.
Shared by the ``lti`` door and the CLI; it knows nothing of HTTP."""
