"""Serve single files from installed Python packages as static files (no copies in the repo).

settings.PACKAGE_STATIC_FILES maps a static path to (package, file inside the package), e.g.
"vendor/plotly.min.js" -> ("plotly", "package_data/plotly.min.js").
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import CheckMessage, Error
from django.core.files.storage import FileSystemStorage


def _package_file(package: str, relative: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    return path if path.is_file() else None


class PackageFileFinder(BaseFinder):
    def _files(self) -> dict[str, Path]:
        files = {}
        for static_path, (package, relative) in settings.PACKAGE_STATIC_FILES.items():
            found = _package_file(package, relative)
            if found is not None:
                files[static_path] = found
        return files

    def check(self, **kwargs: Any) -> list[CheckMessage]:
        missing = set(settings.PACKAGE_STATIC_FILES) - set(self._files())
        return [
            Error(f"Static file {name} not found in its package; is the package installed?", id="core.E001")
            for name in sorted(missing)
        ]

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> Any:
        found = self._files().get(path)
        if found is None:
            return [] if (find_all or kwargs.get("all")) else ""
        return [str(found)] if (find_all or kwargs.get("all")) else str(found)

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        for static_path, file_path in self._files().items():
            prefix = static_path[: -len(file_path.name)].rstrip("/")
            storage = FileSystemStorage(location=str(file_path.parent))
            storage.prefix = prefix  # type: ignore[attr-defined]  # read by collectstatic; not in the stubs
            yield file_path.name, storage
