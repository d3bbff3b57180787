"""Fake camera and microphone inputs, made at test time with numpy (nothing binary is committed).

Faces are public-domain photographs shipped in PyPI packages: scikit-image's ``astronaut()``
(Eileen Collins, NASA) and matplotlib's ``grace_hopper.jpg`` (US Navy). Chromium plays a
``.y4m`` as the camera (looping) and a ``.wav`` as the microphone.
"""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np

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
