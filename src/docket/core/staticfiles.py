"""Static files: hashed and precompressed once collected, served from the apps until then.

`docket serve` collects them into DATA_DIR/static when it starts (`collect_static`): Docket's
own CSS and JavaScript are minified (comments and indentation out: the issue list's first load
~3.5 KB lighter on the wire), then each file gets a content-hashed name, which WhiteNoise
serves with a year's `immutable` caching, plus brotli and gzip copies for browsers that
accept them. Before anything is collected (the test suite,
`docket manage` commands) pages link the plain names and WhiteNoise serves them from the apps.
Served some other way, run `docket manage collectstatic --noinput` after each upgrade.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import brotli
import rcssmin
import rjsmin
from django.conf import settings
from django.contrib.staticfiles import finders
from whitenoise.compress import Compressor
from whitenoise.storage import CompressedManifestStaticFilesStorage

# Docket's own stylesheets and scripts (not the vendored, already minified ones).
MINIFIED = re.compile(r"web/(?!vendor/)[^/]+\.(css|js)")
LARGE_FILE = 200_000  # bytes: the API docs' bundles and source maps, not what pages load


class _Compressor(Compressor):
    @staticmethod
    def compress_brotli(data: bytes) -> bytes:
        # Brotli's best level (11) is worth it for what every page loads (htmx 15.3 KB on the
        # wire against 16.5 at level 5) but took ~30 s of a first start on the API docs'
        # megabyte bundles; those get level 5, ~100x quicker and a few per cent larger.
        return bytes(brotli.compress(data, quality=11 if len(data) < LARGE_FILE else 5))


class Storage(CompressedManifestStaticFilesStorage):
    def post_process(
        self, paths: dict[str, Any], dry_run: bool = False, **options: Any
    ) -> Iterator[Any]:
        """Minify Docket's own CSS and JS in their collected copies first, and hash and
        compress those (the sources in the repository keep their comments)."""
        if not dry_run:
            paths = {
                name: self._minified(name, *found) if MINIFIED.fullmatch(name) else found
                for name, found in paths.items()
            }
        yield from super().post_process(paths, dry_run=dry_run, **options)

    def _minified(self, name: str, storage: Any, path: str) -> tuple[Any, str]:
        with storage.open(path) as source:
            text = source.read().decode()
        small = rcssmin.cssmin(text) if name.endswith(".css") else rjsmin.jsmin(text)
        Path(self.path(name)).write_text(small, encoding="utf-8")
        return self, name

    def create_compressor(self, **kwargs: Any) -> Compressor:
        return _Compressor(**kwargs)

    def stored_name(self, name: str) -> str:
        if not self.hashed_files:  # no manifest yet: nothing collected
            return name
        try:
            return super().stored_name(name)
        except ValueError:
            # A file newer than the last collection (code upgraded, then served some other
            # way than `docket serve`): link its plain name rather than fail the page.
            return name


def collect_static() -> bool:
    """Collect, hash and compress the static files (~2 s here, most of it Django admin's),
    unless they are unchanged since the last collection (a ~7 ms check of every source
    file's size and time). The manifest is rewritten whole, so an upgrade's pages link its
    own files. Returns whether it collected."""
    from django.core.management import call_command

    root = Path(settings.STATIC_ROOT)
    stamp, fingerprint = root / "sources.sha256", _sources_fingerprint()
    manifest = root / "staticfiles.json"
    if manifest.exists() and stamp.exists() and stamp.read_text() == fingerprint:
        return False
    call_command("collectstatic", interactive=False, verbosity=0)
    stamp.write_text(fingerprint)
    return True


def _sources_fingerprint() -> str:
    entries = []
    for finder in finders.get_finders():
        for path, storage in finder.list([]):
            found = os.stat(storage.path(path))
            entries.append(f"{storage.location}\0{path}\0{found.st_size}\0{found.st_mtime_ns}")
    return hashlib.sha256("\n".join(sorted(entries)).encode()).hexdigest()
