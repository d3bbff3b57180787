"""Eye's testing kit for exam-page authors (a pytest plugin, registered as ``eye``).

Fixtures (see docs/testing.md):

- ``eye_server`` — a throwaway ``eye serve`` (fresh SQLite) with ``.url``, ``.create_key(domain)``
  and ``.query(sql)``;
- ``eye_page_server`` — serves your pages from ``http://localhost:PORT`` (another origin than
  the Eye server, as in production);
- ``eye_browser`` — a Chromium whose fake camera shows the images you pass (a y4m is written for
  you) and whose fake microphone plays the samples or WAV you pass.

Tabs: ``leave_tab(page)`` / ``return_to_tab(page)`` switch away from the exam and back for real
(headless Chromium emulates focus otherwise, so no blur would fire).

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
from .tabs import leave_tab, return_to_tab

__all__ = ["astronaut", "background", "face_on_a_phone", "grace_hopper", "holding_id", "leave_tab", "phone_in_view",
           "return_to_tab", "scene", "silence", "speechlike", "tone", "write_wav", "write_y4m"]
