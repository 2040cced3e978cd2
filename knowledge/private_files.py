"""Files that hold conversations or questions are readable by their owner only.

SQLite creates a database with the process's umask (usually 0644: readable by every local
user) and gives its -wal and -shm files the database file's mode. So the file is created
here first, 0600, in a directory that only the owner can enter, before SQLite opens it.
"""

from __future__ import annotations

import os
from pathlib import Path


def private_file(path: Path) -> None:
    """Create `path` (and its directory, 0700) if missing; make it 0600 either way."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)
