"""Fake camera and microphone inputs, made at test time with numpy (nothing binary is committed).

Faces are public-domain photographs shipped in PyPI packages: scikit-image's ``astronaut()``
(Eileen Collins, NASA) and matplotlib's ``grace_hopper.jpg`` (US Navy). Chromium plays a
``.y4m`` as the camera (looping) and a ``.wav`` as the microphone.
"""

from __future__ import annotations

import io
import os
import wave
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from PIL import Image

WIDTH, HEIGHT, FPS = 640, 480, 10


def _resize(img: np.ndarray, width: int) -> np.ndarray:
    from PIL import Image

    h = round(img.shape[0] * width / img.shape[1])
    return np.asarray(Image.fromarray(img).resize((width, h), Image.BILINEAR))


def astronaut() -> np.ndarray:
    """Eileen Collins, head and shoulders (RGB uint8)."""
    from skimage import data

    return data.astronaut()[0:300, 100:380]


def grace_hopper() -> np.ndarray:
    """Grace Hopper, head and shoulders (RGB uint8)."""
    import matplotlib.cbook as cbook
    from PIL import Image

    with cbook.get_sample_data("grace_hopper.jpg") as f:
        img = np.asarray(Image.open(f).convert("RGB"))
    return img[0:450, 60:460]


def background(seed: int = 0) -> np.ndarray:
    """A plain room-like backdrop: a soft vertical gradient with a little noise."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(150, 110, HEIGHT)[:, None, None]
    base = np.broadcast_to(ramp, (HEIGHT, WIDTH, 3)) * np.array([1.0, 0.97, 0.92])
    return np.clip(base + rng.normal(0, 2, (HEIGHT, WIDTH, 3)), 0, 255).astype(np.uint8)


def scene(people: list[np.ndarray], *, width: int = 260) -> np.ndarray:
    """People placed side by side (each ``width`` px wide), centred, on the backdrop."""
    frame = background().copy()
    tiles = [_resize(p, width) for p in people]
    total = sum(t.shape[1] for t in tiles) + 20 * (len(tiles) - 1)
    x = (WIDTH - total) // 2
    for t in tiles:
        h = min(t.shape[0], HEIGHT - 40)
        y = (HEIGHT - h) // 2
        frame[y : y + h, x : x + t.shape[1]] = t[:h]
        x += t.shape[1] + 20
    return frame


def _rgb_to_i420(rgb: np.ndarray) -> bytes:
    r, g, b = (rgb[..., i].astype(np.float32) for i in range(3))
    y = 0.299 * r + 0.587 * g + 0.114 * b
    u = -0.169 * r - 0.331 * g + 0.5 * b + 128
    v = 0.5 * r - 0.419 * g - 0.081 * b + 128
    sub = lambda c: c.reshape(HEIGHT // 2, 2, WIDTH // 2, 2).mean(axis=(1, 3))  # noqa: E731
    planes = [y, sub(u), sub(v)]
    return b"".join(np.clip(p, 0, 255).astype(np.uint8).tobytes() for p in planes)


def write_y4m(path: Path, frame: np.ndarray, *, seconds: float = 2.0, jitter: int = 3, seed: int = 1) -> Path:
    """A clip of ``frame`` with a small per-frame shift (a live camera never holds still)."""
    rng = np.random.default_rng(seed)
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(int(seconds * FPS)):
            dx, dy = rng.integers(-jitter, jitter + 1, 2)
            f.write(b"FRAME\n" + _rgb_to_i420(np.roll(frame, (int(dy), int(dx)), axis=(0, 1))))
    return path


def jpeg_bytes(rgb: np.ndarray, quality: int = 90) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def write_jpeg(path: Path, rgb: np.ndarray) -> Path:
    path.write_bytes(jpeg_bytes(rgb))
    return path


RATE = 48000


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), dtype=np.float32)


def tone(seconds: float, hz: float = 440.0, level_db: float = -12.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (10 ** (level_db / 20) * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def speechlike(seconds: float, level_db: float = -15.0, seed: int = 3) -> np.ndarray:
    """Voiced syllables: a 120 Hz pulse train through two formants, in 4 Hz bursts."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    f0 = 120 * (1 + 0.05 * np.sin(2 * np.pi * 0.7 * t))
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    voiced = sum(np.sin(k * phase) / k for k in range(1, 30))
    spectrum = np.fft.rfft(voiced)
    freqs = np.fft.rfftfreq(n, 1 / RATE)
    formants = np.exp(-((freqs - 700) / 250) ** 2) + 0.7 * np.exp(-((freqs - 1200) / 300) ** 2) + 0.3 * np.exp(-((freqs - 2500) / 400) ** 2)
    signal = np.fft.irfft(spectrum * formants, n)
    envelope = 0.5 * (1 + np.sign(np.sin(2 * np.pi * 4 * t + rng.uniform(0, 1))))
    signal = signal * (0.3 + 0.7 * envelope)
    signal /= np.abs(signal).max() + 1e-9
    return (10 ** (level_db / 20) * signal).astype(np.float32)


def write_wav(path: Path, samples: np.ndarray, *, rate: int = RATE) -> Path:
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return path


def decode_wav(data: bytes) -> tuple[int, np.ndarray]:
    with wave.open(io.BytesIO(data)) as w:
        frames = w.readframes(w.getnframes())
        return w.getframerate(), np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768


# --- camera intelligence: devices, reproductions, photo IDs ------------------------------------
# The phone is a photograph of a hand holding a phone, from the npm package html5-device-mockups
# (MIT; a devDependency of this repository, installed by ``npm ci``): a real hand, a real phone's
# shape, cut out on a transparent background, so it can be held into any scene.

#: Where the package's pictures are: this repository's node_modules, or ``EYE_DEVICE_MOCKUPS`` (the
#: ``device-mockups`` folder of ``npm install html5-device-mockups@3.2.1`` anywhere else).
MOCKUPS = Path(os.environ.get("EYE_DEVICE_MOCKUPS")
               or Path(__file__).resolve().parents[1] / "node_modules" / "html5-device-mockups" / "device-mockups")
#: The phone's screen inside iPhone7Hand_2/portrait_black.png (top, left, width, height as
#: fractions), from the package's own CSS (dist/device-mockups.css).
HAND_PHONE_SCREEN = (0.0783582, 0.4125296, 0.4219858, 0.4723881)


def hand_with_phone(screen: np.ndarray | None = None) -> "Image.Image":
    """The hand holding a phone (RGBA); with ``screen`` (RGB), that picture fills the phone's display."""
    from PIL import Image

    phone = Image.open(MOCKUPS / "iPhone7Hand_2" / "portrait_black.png").convert("RGBA")
    if screen is not None:
        top, left, w, h = HAND_PHONE_SCREEN
        sx, sy, sw, sh = round(left * phone.width), round(top * phone.height), round(w * phone.width), round(h * phone.height)
        picture = Image.fromarray(screen)
        scale = max(sw / picture.width, sh / picture.height)
        picture = picture.resize((round(picture.width * scale), round(picture.height * scale)), Image.BILINEAR)
        x0, y0 = (picture.width - sw) // 2, (picture.height - sh) // 2
        phone.alpha_composite(picture.crop((x0, y0, x0 + sw, y0 + sh)).convert("RGBA"), (sx, sy))
    return phone


def hold(frame: np.ndarray, thing: "Image.Image", *, x: int, y: int, height: int) -> np.ndarray:
    """``thing`` (RGBA) scaled to ``height`` px and held into ``frame`` at (x, y)."""
    from PIL import Image

    scaled = thing.resize((round(thing.width * height / thing.height), height), Image.BILINEAR)
    canvas = Image.fromarray(frame).convert("RGBA")
    canvas.alpha_composite(scaled, (x, y))
    return np.asarray(canvas.convert("RGB"))


def phone_in_view() -> np.ndarray:
    """The candidate, and a hand holding a phone up beside them."""
    return hold(scene([astronaut()]), hand_with_phone(), x=440, y=150, height=330)


def face_on_a_phone() -> np.ndarray:
    """A hand holding up a phone that shows the candidate's portrait (nobody live in view)."""
    return hold(background(), hand_with_phone(astronaut()), x=320 - 188, y=0, height=480)


def id_card(portrait: np.ndarray) -> "Image.Image":
    """A photo ID card (ID-1 proportions): the portrait on the left, printed lines on the right."""
    from PIL import Image, ImageDraw

    card = Image.new("RGBA", (428, 270), (232, 238, 246, 255))
    draw = ImageDraw.Draw(card)
    draw.rectangle((0, 0, 427, 46), fill=(30, 70, 140, 255))
    photo = Image.fromarray(portrait)
    photo = photo.resize((150, round(photo.height * 150 / photo.width)), Image.BILINEAR)
    photo = photo.crop((0, 0, 150, min(190, photo.height)))
    card.alpha_composite(photo.convert("RGBA"), (18, 62))
    for i, width in enumerate((200, 160, 180, 120, 150)):
        draw.rectangle((190, 70 + i * 34, 190 + width, 82 + i * 34), fill=(90, 96, 110, 255))
    mask = Image.new("L", card.size, 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, 427, 269), radius=18, fill=255)
    card.putalpha(mask)
    return card


def holding_id(portrait: np.ndarray) -> np.ndarray:
    """The candidate holding a photo ID (with ``portrait`` on it) next to their face."""
    frame = background().copy()
    person = _resize(astronaut(), 250)
    frame[90 : 90 + person.shape[0], 60 : 60 + person.shape[1]] = person[: HEIGHT - 90]
    return hold(frame, id_card(portrait), x=330, y=120, height=190)
