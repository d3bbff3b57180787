"""Eye for an exam platform's server: :class:`eye.client.EyeClient` calls the platform API with a
secret key; :mod:`eye.answers` are the shapes of what it answers (the server's own models)."""
