"""Root conftest: loaded for notebooks/ as well as tests/ (nbval runs the notebooks)."""

import os
import tempfile
from pathlib import Path

DATA = Path(__file__).resolve().parent / "tests" / "data"


def pytest_configure(config):
    """Notebooks run by nbval get a temporary store holding one session, and its code and key
    in the query string, as Voila would hand them over; the test cases join the built-in ones."""
    data = Path(tempfile.mkdtemp(prefix="casebook-nbval-"))
    os.environ["CASEBOOK_DATA"] = str(data)
    os.environ["CASEBOOK_CASES"] = str(DATA / "cases")
    os.environ.pop("CASEBOOK_STORE", None)
    os.environ.pop("CASEBOOK_LANGUAGE", None)
    if not config.getoption("--nbval-lax", default=False) and not config.getoption("--nbval", default=False):
        return
    from casebook import sessions
    from casebook.clearance import clear
    from casebook.store import open_store

    clear()  # the anonymisation gate, as `casebook serve` runs it: the apps offer cleared cases only
    created = sessions.create_session(open_store(), ["tst-goed", "tst-tweede"], title="nbval")
    os.environ["QUERY_STRING"] = f"code={created.code}&key={created.facilitator_key}"

# Executed session plans (casebook session new) are not part of the notebook suite.
collect_ignore_glob = ["notebooks/sessions/*"]
