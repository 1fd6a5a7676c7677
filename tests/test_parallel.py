"""Work on the second core: Background gives back a forked child's result or its error."""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest
from sitekit import FIXTURE, ROOT, SITE_URL

from generator.core.config import SiteConfig
from generator.core.entries import load_collection
from generator.core.files import iter_entry_files
from generator.pages import build_page_set
from generator.plugin.parallel import Background, BackgroundFailed

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork (POSIX)")


def test_result_comes_back_from_the_child() -> None:
    parent = os.getpid()
    job = Background(lambda: {"pid": os.getpid(), "data": b"\x00" * 200_000})
    value = job.result()
    assert value["pid"] != parent and value["data"] == b"\x00" * 200_000  # > a pipe buffer


def test_an_error_in_the_child_is_raised_in_the_parent() -> None:
    def fail() -> None:
        raise ValueError("no site_url")

    with pytest.raises(ValueError, match="no site_url"):
        Background(fail).result()


def test_an_error_that_cannot_be_pickled_still_arrives() -> None:
    class Local(Exception):  # a local class does not pickle
        pass

    def fail() -> None:
        raise Local("odd")

    with pytest.raises(BackgroundFailed, match="odd"):
        Background(fail).result()


def test_a_child_that_dies_is_reported() -> None:
    job = Background(lambda: os._exit(9))
    with pytest.raises(BackgroundFailed, match="without a result"):
        job.result()


def test_cancel_stops_and_reaps_the_child() -> None:
    job = Background(lambda: time.sleep(30))
    pid = job.pid
    started = time.monotonic()
    job.cancel()
    assert time.monotonic() - started < 5
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # already reaped


def test_page_set_is_the_same_with_listings_made_in_a_child() -> None:
    folder = FIXTURE / "papers"
    today = dt.date(2026, 11, 30)
    collection, problems = load_collection(list(iter_entry_files(folder)),
                                           folder / "taxonomy.yml", today, root=folder.parent)
    assert collection is not None, problems
    config = SiteConfig(site_name="Test list", site_url=SITE_URL, root=ROOT, page_size=2)
    here = build_page_set(collection, config, today)
    forked = build_page_set(collection, config, today, runner=Background)
    assert [p.path for p in forked.pages] == [p.path for p in here.pages]
    assert forked == here
