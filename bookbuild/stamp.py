"""The build's date, from SOURCE_DATE_EPOCH or the last commit, so builds reproduce."""
from __future__ import annotations

import datetime
import os
import subprocess
import time
from pathlib import Path



def source_date_epoch(root: Path) -> int:
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if value.isdigit():
        return int(value)
    try:
        out = subprocess.run(["git", "-C", str(root), "log", "-1", "--format=%ct"],
                             capture_output=True, text=True, check=False).stdout.strip()
        if out.isdigit():
            return int(out)
    except OSError:
        pass
    return int(time.time()) // 86400 * 86400  # not a git checkout: today, at midnight UTC


def make_stamp(epoch: int, lang: str):
    from babel.dates import format_date

    from .model import Stamp

    day = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).date()
    return Stamp(epoch, day.isoformat(), format_date(day, format="long", locale=lang))
