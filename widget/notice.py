"""What the candidate is told before anything is recorded (informed consent), and after declining.

The consent notice names each device and every browser signal the exam's features record, who
sees the evidence, how long the institution keeps it (the server's word, from the preflight) and,
with ``config.privacyUrl``, where the institution's policy is. Each sentence is a whole message in
the catalogs, so a translation never has to glue fragments together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

from .config import BROWSER_SIGNALS
from .language import Words, words

#: A block of the notice: a paragraph, or a bulleted list of items.
Block = Union[str, list[str]]


@dataclass
class Notice:
    """The consent notice: ``blocks`` in order, then an optional ``link`` (text, URL)."""

    blocks: list[Block] = field(default_factory=list)
    link: tuple[str, str] | None = None

    def text(self) -> str:
        """The notice as plain text (paragraphs on their own lines, list items after "- ")."""
        lines = [b if isinstance(b, str) else "\n".join(f"- {item}" for item in b) for b in self.blocks]
        if self.link:
            lines.append(f"{self.link[0]}: {self.link[1]}")
        return "\n".join(lines)


def consent_notice(config: dict[str, Any], camera: bool, microphone: bool, screen: bool = False, *,
                   retention_days: int | None = None, say: Words | None = None) -> Notice:
    """The notice for an exam with these devices (none: the browser signals alone)."""
    t = say or words()
    features = config.get("features") or {}
    institution = config["institutionName"]
    notice = Notice()
    notice.blocks.append(t("{institution} proctors this exam with Eye.", institution=institution))
    if camera and microphone:
        uses = t("It uses your camera and microphone to check that you are present, alone and not talking.")
    elif camera:
        uses = t("It uses your camera to check that you are present and alone.")
    elif microphone:
        uses = t("It uses your microphone to check that nobody is talking.")
    else:
        uses = ""
    if uses:
        notice.blocks.append(uses + " " + t("The analysis runs in this browser; only flagged moments (a photo or a short "
                                            "sound clip) and occasional snapshots are uploaded for review."))
    if camera:
        for name, text in (
            ("objectDetection", t("The camera analysis also looks for phones, books and other devices in view.")),
            ("gazeTracking", t("The camera analysis also follows where your eyes look (calibrated on your first seconds).")),
            ("livenessCheck", t("The camera analysis also checks that the face is a live person, not a photo or a screen.")),
        ):
            if features.get(name):
                notice.blocks.append(text)
        if features.get("idVerification"):
            notice.blocks.append(t("Before the exam you will hold a photo ID up to the camera: its face is compared with "
                                   "yours, and a picture of the ID is uploaded for review like other evidence."))
    if screen:
        notice.blocks.append(t("It also needs your entire screen shared: a picture of your screen is uploaded when you "
                               "leave the exam window, leave fullscreen, copy or paste, or connect another screen, and "
                               "now and then; your screen is never recorded continuously."))
    said = {
        "tabMonitoring": t("when you leave this exam's tab or window"),
        "fullscreen": t("when you leave fullscreen or make the window small"),
        "clipboard": t("when you copy, cut or paste (never what)"),
        "multipleScreens": t("whether more than one screen is connected"),
    }
    signals = [said[name] for name in BROWSER_SIGNALS if features.get(name, True)]
    if signals:
        notice.blocks.append(t("This page also records:") if uses or screen else t("This page records:"))
        notice.blocks.append(signals)
    seen = t("What is recorded is seen only by the reviewers at {institution}, who decide whether anything was wrong.",
             institution=institution)
    if retention_days is not None:
        seen += " " + t.plural("{institution} keeps it for {n} day, then deletes it.",
                               "{institution} keeps it for {n} days, then deletes it.", retention_days,
                               institution=institution)
    notice.blocks.append(seen)
    if config.get("privacyUrl"):
        notice.link = (t("{institution}'s privacy policy", institution=institution), config["privacyUrl"])
    return notice


def declined_text(config: dict[str, Any], say: Words | None = None) -> str:
    """What a candidate who declined reads, in the second person: what happens now and next."""
    t = say or words()
    return t("You declined proctoring, so this exam cannot start, and nothing was recorded. If you change your mind, "
             "start the exam again and allow proctoring; if you cannot take a proctored exam, contact {institution}.",
             institution=config["institutionName"])
