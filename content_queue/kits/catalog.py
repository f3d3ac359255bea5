"""The kits an agency can start: the built-in files beside this module, plus (and overriding,
by id) the files in the agency's own kits folder (the ``KITS_DIR`` setting).

Files are read on every call: they are a handful of small files, and an agency that edits one
sees the change at once. A file with an error is left out and reported (file, line, reason);
the other kits stay usable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from content_queue.kits.schema import Kit, KitError, load_kit_file

BUILTIN_DIR = Path(__file__).resolve().parent
PATTERNS = ("*.yaml", "*.yml")


@dataclass
class KitCatalog:
    kits: dict[str, Kit] = field(default_factory=dict)
    errors: list[KitError] = field(default_factory=list)

    def get(self, kit_id: str) -> Kit | None:
        return self.kits.get(kit_id)


def _files(folder: Path) -> list[Path]:
    return sorted({p for pattern in PATTERNS for p in folder.glob(pattern) if p.is_file()})


def _read_folder(folder: Path, catalog: KitCatalog, *, overriding: bool) -> None:
    seen: dict[str, str] = {}
    for path in _files(folder):
        try:
            kit = load_kit_file(path)
        except KitError as exc:
            catalog.errors.append(exc)
            continue
        if kit.id in seen:
            catalog.errors.append(KitError(str(path), None, f"the kit id '{kit.id}' is already "
                                                            f"used by {seen[kit.id]}."))
            continue
        seen[kit.id] = str(path)
        if overriding or kit.id not in catalog.kits:
            catalog.kits[kit.id] = kit


def load_catalog(extra_dir: str | Path | None = None) -> KitCatalog:
    """Built-in kits, then the agency's (``extra_dir``), which add kits or replace them by id."""
    catalog = KitCatalog()
    _read_folder(BUILTIN_DIR, catalog, overriding=False)
    if extra_dir:
        folder = Path(extra_dir)
        if folder.is_dir():
            _read_folder(folder, catalog, overriding=True)
        else:
            catalog.errors.append(KitError(str(folder), None, "the kits folder (KITS_DIR) does "
                                                              "not exist or is not a folder."))
    return catalog
