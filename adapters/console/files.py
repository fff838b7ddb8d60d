"""The console's attachments: each file a message carries is written into a folder beside the
database, under its own name or a numbered one, never over an earlier file."""

from __future__ import annotations

import contextlib
import itertools
import logging
from dataclasses import dataclass
from pathlib import Path, PurePath

from bot.messages import Attachment

log = logging.getLogger(__name__)

# The folder beside the database file that receives the files.
FOLDER = "files"


def beside(db_path: Path) -> Path:
    """The files folder for a database file."""
    return db_path.parent / FOLDER


@dataclass(frozen=True)
class Saved:
    """One attachment as the console kept it: where it went, or why it couldn't be written."""

    attachment: Attachment
    path: Path | None = None
    problem: str = ""

    def line(self) -> str:
        """What the rendered message says about it."""
        name = self.attachment.filename
        if self.path is None:
            return f"\U0001f4ce {name} could not be saved: {self.problem}"
        return f"\U0001f4ce {name} ({self.attachment.media_type}) saved to {self.path}"


class FileDrop:
    """Writes attachments into ``folder``; an existing file is never replaced."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _candidates(self, filename: str) -> itertools.chain[str]:
        suffix = PurePath(filename).suffix
        stem = filename[: len(filename) - len(suffix)]
        numbered = (f"{stem}-{n}{suffix}" for n in itertools.count(2))
        return itertools.chain([filename], numbered)

    def save(self, attachment: Attachment) -> Saved:
        """Write one file under the first free name; a failure is reported, not raised."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return Saved(attachment, problem=f"can't create {self.folder} ({exc.strerror})")
        for name in self._candidates(attachment.filename):
            path = self.folder / name
            # The core's names have no separators; this keeps any other name out of the folder.
            if path.parent != self.folder:
                return Saved(attachment, problem="its name is not a plain file name")
            try:
                # "x": create only, so two sessions (or a race) never write over one file.
                out = path.open("xb")
            except FileExistsError:
                continue
            except OSError as exc:
                return self._failed(attachment, path, exc)
            try:
                with out:
                    out.write(attachment.data)
            except OSError as exc:
                with contextlib.suppress(OSError):
                    path.unlink()  # ours, half-written (a full disk): leave nothing behind
                return self._failed(attachment, path, exc)
            return Saved(attachment, path)
        raise AssertionError("unreachable: the candidate names never run out")

    @staticmethod
    def _failed(attachment: Attachment, path: Path, exc: OSError) -> Saved:
        log.warning("could not save %s: %s", path, exc)
        return Saved(attachment, problem=f"{exc.strerror or exc} ({path})")

    def save_all(self, attachments: tuple[Attachment, ...]) -> list[Saved]:
        """Write every file of a message."""
        return [self.save(a) for a in attachments]


def save_all(drop: FileDrop | None, attachments: tuple[Attachment, ...]) -> list[Saved]:
    """Write a message's files with ``drop``; without one, say they weren't kept."""
    if drop is None:
        return [Saved(a, problem="this console keeps no folder for files") for a in attachments]
    return drop.save_all(attachments)
