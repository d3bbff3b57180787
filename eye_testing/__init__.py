"""Eye's testing kit for exam-page authors (a pytest plugin, registered as ``eye``).

Fixtures (see docs/testing.md):

- ``eye_server`` — a throwaway ``eye serve`` (fresh SQLite) with ``.url``, ``.create_key(domain)``
  and ``.query(sql)``;
- ``eye_page_server`` — serves your pages from ``http://localhost:PORT`` (another origin than
  the Eye server, as in production);
- ``eye_browser`` — a Chromium whose fake camera shows the images you pass (a y4m is written for
  you) and whose fake microphone plays the samples or WAV you pass.

Media helpers: ``astronaut()``, ``grace_hopper()`` (public-domain faces), ``scene(people)``,
``background()``, ``silence(s)``, ``tone(s)``, ``speechlike(s)``, ``write_y4m``, ``write_wav``.
"""

from .media import (
    astronaut,
    background,
    face_on_a_phone,
    grace_hopper,
    holding_id,
    phone_in_view,
    scene,
    silence,
    speechlike,
    tone,
    write_wav,
    write_y4m,
)

__all__ = ["astronaut", "background", "face_on_a_phone", "grace_hopper", "holding_id", "phone_in_view", "scene",
           "silence", "speechlike", "tone", "write_wav", "write_y4m"]
