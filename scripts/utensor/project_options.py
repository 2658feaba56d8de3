"""Reading the `custom_utensor_*` options of platformio.ini the way PlatformIO reads lists.

PlatformIO splits a multi-value option into one item per line, or, on a single line, at
", "; `;` starts a comment. Paths with spaces (a Windows user folder, OneDrive) are then
plain items, and a quoted item loses its quotes. Older projects put several models on one
line separated by spaces: an item that does not exist but whose space-separated parts all
do is read that way.

Stdlib only: the extra script and the `pio test` runner import it from PlatformIO's Python.
"""

import os


def split_list(value):
    """Items of a PlatformIO multi-value option (lines, or ', ' on one line)."""
    if isinstance(value, (list, tuple)):
        raw = list(value)
    else:
        text = value or ""
        raw = text.split("\n") if "\n" in text else text.split(", ")
    items = []
    for item in raw:
        item = item.split(";", 1)[0].strip() if ";" in item else item.strip()
        if not item or item.startswith("#"):
            continue
        if len(item) >= 2 and item[0] == item[-1] and item[0] in "\"'":
            item = item[1:-1]
        items.append(item)
    return items


def model_paths(value, project_dir):
    """Absolute model paths of custom_utensor_models (relative ones are relative to the
    project); a missing path is returned as is, for the caller to report."""
    paths = []
    for item in split_list(value):
        full = os.path.normpath(os.path.join(project_dir, item))
        parts = item.split()
        if (not os.path.exists(full) and len(parts) > 1
                and all(os.path.exists(os.path.join(project_dir, p)) for p in parts)):
            paths.extend(os.path.normpath(os.path.join(project_dir, p)) for p in parts)
        else:
            paths.append(full)
    return paths


def names(value):
    """Names of an option such as custom_utensor_user_ops: PlatformIO items, each further
    split at whitespace (a name has none)."""
    return [word for item in split_list(value) for word in item.split()]


def is_yes(value):
    """A yes/no option: yes, true, 1, on (any case) are yes."""
    return str(value or "").strip().lower() in ("yes", "true", "1", "on")
