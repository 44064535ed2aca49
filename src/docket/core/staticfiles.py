"""Static files: hashed and precompressed once collected, served from the apps until then.

`docket serve` collects them into DATA_DIR/static at every start (`collect_static`): each file
gets a content-hashed name, which WhiteNoise serves with a year's `immutable` caching, plus a
gzip copy it sends to browsers that accept it. Before anything is collected (the test suite,
`docket manage` commands) pages link the plain names and WhiteNoise serves them from the apps.
Served some other way, run `docket manage collectstatic --noinput` after each upgrade.
"""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class Storage(CompressedManifestStaticFilesStorage):
    def stored_name(self, name: str) -> str:
        if not self.hashed_files:  # no manifest yet: nothing collected
            return name
        try:
            return super().stored_name(name)
        except ValueError:
            # A file newer than the last collection (code upgraded, then served some other
            # way than `docket serve`): link its plain name rather than fail the page.
            return name


def collect_static() -> None:
    """Collect, hash and compress the static files (~2 s here, most of it Django admin's).
    The manifest is rewritten whole, so an upgrade's pages link its own files."""
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
