"""The name an evidence file is stored, listed and downloaded under: made safe, and ending in the
extension of the type sniffed from its bytes.

Pure (standard library only). The vendor's name is kept for what it says,
not trusted for what it does: folders are dropped, control and format
characters (bidi overrides such as U+202E, which make `evil\u202egpj.bat`
display as "…batjpg") are removed, and an extension that does not belong to
the sniffed type gets the type's own appended (`cert.html` → `cert.html.txt`,
`run.bat` → `run.bat.txt`), so opening a download never runs a script.
"""

from __future__ import annotations

import unicodedata

# The extensions each accepted type may keep; the first is appended when the name has none of them.
EXTENSIONS = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
    "text/csv": (".csv",),
    "text/plain": (".txt",),
}
MAX_NAME = 200  # what the download header carries in full (the column holds 255)
_FORBIDDEN = set('"<>|:*?/\\')


def _clean(name: str) -> str:
    """The last path part, without control, format (Cf), separator and Windows-reserved characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    kept = []
    for ch in name:
        category = unicodedata.category(ch)
        if category in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") or ch in _FORBIDDEN:
            continue
        kept.append(" " if category == "Zs" else ch)
    return " ".join("".join(kept).split()).strip(" .")


def safe_filename(name: str) -> str:
    """The file's own name made safe to show and to save, at most MAX_NAME characters; 'file' when empty."""
    cleaned = _clean(name)
    if len(cleaned) > MAX_NAME:
        stem, dot, ext = cleaned.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            cleaned = stem[:MAX_NAME - len(ext) - 1].rstrip(" .") + "." + ext
        else:
            cleaned = cleaned[:MAX_NAME].rstrip(" .")
    return cleaned or "file"


def stored_filename(name: str, content_type: str) -> str:
    """The safe name, ending in an extension of `content_type` (appended when it has none of them)."""
    safe = safe_filename(name)
    allowed = EXTENSIONS.get(content_type)
    if not allowed or safe.lower().endswith(allowed):
        return safe
    ext = allowed[0]
    if len(safe) + len(ext) > MAX_NAME:
        safe = safe[:MAX_NAME - len(ext)].rstrip(" .") or "file"
    return safe + ext
