"""Static files survive ``collectstatic`` with the production storage (WhiteNoise's manifest),
which refuses a file that names a missing one: every source map a vendored file points at is there."""

import re
from pathlib import Path

from django.conf import settings

SOURCE_MAP = re.compile(rb"[#@] sourceMappingURL=([^\s*]+)")


def test_every_source_map_named_by_a_static_file_exists():
    missing = []
    for folder in settings.STATICFILES_DIRS:
        for path in Path(folder).rglob("*"):
            if path.suffix not in (".js", ".css") or not path.is_file():
                continue
            for name in SOURCE_MAP.findall(path.read_bytes()[-500:]):
                if not (path.parent / name.decode()).exists():
                    missing.append(f"{path.relative_to(folder)} names {name.decode()}")
    assert missing == []
