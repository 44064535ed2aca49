"""Static file names: hashed once collected, plain before, and never a broken page when the
collection is older than the code (core/staticfiles.py)."""

from __future__ import annotations

import json

from docket.core.staticfiles import Storage


def _storage(root, entries: dict[str, str] | None) -> Storage:
    if entries is not None:
        manifest = {"paths": entries, "version": "1.1", "hash": "x"}
        (root / "staticfiles.json").write_text(json.dumps(manifest))
    return Storage(location=str(root), base_url="/static/")


def test_before_collection_pages_link_plain_names(tmp_path):
    assert _storage(tmp_path, None).url("web/app.js") == "/static/web/app.js"


def test_after_collection_pages_link_hashed_names(tmp_path):
    storage = _storage(tmp_path, {"web/app.js": "web/app.5fd709d1c086.js"})
    assert storage.url("web/app.js") == "/static/web/app.5fd709d1c086.js"


def test_a_file_newer_than_the_collection_is_linked_by_its_plain_name(tmp_path):
    storage = _storage(tmp_path, {"web/app.js": "web/app.5fd709d1c086.js"})
    assert storage.url("web/favicon.svg") == "/static/web/favicon.svg"


def test_serve_collects_only_when_a_source_file_changed(tmp_path, settings):
    from docket.core import staticfiles

    settings.STATIC_ROOT = tmp_path / "collected"
    source = tmp_path / "source"
    (source / "web").mkdir(parents=True)
    script = source / "web" / "extra.js"
    script.write_text("console.log(1);\n")
    settings.STATICFILES_DIRS = [str(source)]
    settings.STATIC_ROOT.mkdir()
    assert staticfiles.collect_static() is True
    assert staticfiles.collect_static() is False  # nothing changed: no ~2 s of hashing
    script.write_text("console.log(2); // changed\n")
    assert staticfiles.collect_static() is True
    manifest = json.loads((settings.STATIC_ROOT / "staticfiles.json").read_text())
    assert manifest["paths"]["web/extra.js"] != "web/extra.js"
