"""The folder `casebook serve` hands Voila: links to the packaged app notebooks beside the
executed plans, all in the data folder; nothing is written beside the package."""

import os
from pathlib import Path

from casebook import served
from casebook.config import notebooks_dir, packaged_notebooks

ROOT = Path(__file__).resolve().parent.parent


def test_the_app_notebooks_are_linked_into_the_data_folder_and_stale_ones_removed(tmp_path):
    root = served.link_app_notebooks()
    assert root == Path(os.environ["CASEBOOK_DATA"]) / "served"
    names = {p.name for p in root.glob("*.ipynb")}
    assert names == {p.name for p in notebooks_dir().glob("*.ipynb")} and "participant.ipynb" in names
    assert (root / "participant.ipynb").resolve() == (notebooks_dir() / "participant.ipynb").resolve()
    # a notebook that left the package leaves the folder; a plan in sessions/ stays; a link that
    # points elsewhere (an older installation) is pointed at this one
    (root / "gone.ipynb").symlink_to(tmp_path / "nowhere.ipynb")
    (root / "solo.ipynb").unlink()
    (root / "solo.ipynb").symlink_to(tmp_path / "old-solo.ipynb")
    plan = served.sessions_dir() / "ABCDEF-0123abcd.ipynb"
    plan.write_text("{}")
    served.link_app_notebooks()
    assert not (root / "gone.ipynb").is_symlink() and plan.exists()
    assert (root / "solo.ipynb").resolve() == (notebooks_dir() / "solo.ipynb").resolve()
    assert not [p for p in root.iterdir() if p.name.startswith(".")]  # no half-made link left


def test_in_a_checkout_the_packaged_notebooks_are_the_repositorys_own():
    assert packaged_notebooks() == ROOT / "notebooks"
    assert not (ROOT / "casebook" / "notebooks").exists()  # only a wheel has them there
