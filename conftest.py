"""Root conftest: loaded for notebooks/ as well as tests/ (nbval runs the notebooks)."""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "tests" / "data"

# Executed session plans are written into the data folder now; an older version wrote them here,
# and they are not part of the notebook suite.
collect_ignore_glob = ["notebooks/sessions/*"]

_nbval_data: list[Path] = []

# The tests that start a real server or drive Chromium (markers ``server`` and ``browser``) run
# one after another on one xdist worker (``--dist loadgroup`` in scripts/test); everything else
# goes, a file at a time (module fixtures and a notebook's cells stay together), to whichever
# worker is free. Two browser tests at once on 2 cores made pages miss their 60-s waits.
SERVERS_GROUP = "servers"


def group_for_two_workers(items, config) -> None:
    grouping = bool(getattr(config.option, "loadgroup", False))  # in an xdist worker, --dist loadgroup
    for item in items:
        if item.get_closest_marker("browser") or item.get_closest_marker("server"):
            group = SERVERS_GROUP
        else:
            group = item.nodeid.split("::", 1)[0]
        item.add_marker(pytest.mark.xdist_group(group))
        if grouping and "@" not in item.nodeid:
            # what xdist's worker does with an xdist_group mark (xdist/remote.py), which sets
            # ``_nodeid``; pytest 9 keeps a node's id in ``_id``, so xdist 3.8's renaming is lost
            # and every test would be a group of its own (a notebook's cells split over workers)
            from _pytest.nodeid import coerce_node_id

            item._id = coerce_node_id(f"{item.nodeid}@{group}")


@pytest.hookimpl(tryfirst=True)  # before xdist's worker reads the groups into the test ids
def pytest_collection_modifyitems(session, config, items):
    """Notebooks run by nbval get a temporary store holding one session, and its code and key
    in the query string, as Voila would hand them over; the test cases join the built-in ones.
    Done only when nbval collected notebooks, and undone at the end of the run."""
    group_for_two_workers(items, config)
    if not any(type(item).__module__.startswith("nbval") for item in items):
        return
    data = Path(tempfile.mkdtemp(prefix="casebook-nbval-"))
    _nbval_data.append(data)
    os.environ["CASEBOOK_DATA"] = str(data)
    os.environ["CASEBOOK_CASES"] = str(DATA / "cases")
    os.environ.pop("CASEBOOK_STORE", None)
    os.environ.pop("CASEBOOK_LANGUAGE", None)
    from casebook import sessions
    from casebook.clearance import clear
    from casebook.store import open_store

    clear()  # the anonymisation gate, as `casebook serve` runs it: the apps offer cleared cases only
    created = sessions.create_session(open_store(), ["tst-goed", "tst-tweede"], title="nbval")
    os.environ["QUERY_STRING"] = f"code={created.code}&key={created.facilitator_key}"


def pytest_unconfigure(config):
    for data in _nbval_data:
        shutil.rmtree(data, ignore_errors=True)
