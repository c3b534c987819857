"""Root conftest: loaded for notebooks/ as well as tests/ (nbval runs the notebooks)."""

import os
import shutil
import tempfile
from pathlib import Path

DATA = Path(__file__).resolve().parent / "tests" / "data"

# Executed session plans are written into the data folder now; an older version wrote them here,
# and they are not part of the notebook suite.
collect_ignore_glob = ["notebooks/sessions/*"]

_nbval_data: list[Path] = []


def pytest_collection_modifyitems(session, config, items):
    """Notebooks run by nbval get a temporary store holding one session, and its code and key
    in the query string, as Voila would hand them over; the test cases join the built-in ones.
    Done only when nbval collected notebooks, and undone at the end of the run."""
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
