"""``casebook lab`` without a browser: the trainer folder and JupyterLab's options."""

from casebook.lab import LAB_NOTEBOOKS, lab_argv, prepare_folder


def test_the_trainer_folder_gets_the_notebooks_once_and_keeps_the_trainers_edits(tmp_path):
    folder, copied = prepare_folder(tmp_path / "trainer")
    assert sorted(p.name for p in copied) == sorted(LAB_NOTEBOOKS)
    edited = folder / "session.ipynb"
    edited.write_text(edited.read_text("utf-8").replace('Intervisie', 'Mijn reeks'), "utf-8")
    again, copied = prepare_folder(folder)
    assert again == folder and copied == []
    assert 'Mijn reeks' in edited.read_text("utf-8")


def test_the_default_folder_is_in_the_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("CASEBOOK_DATA", str(tmp_path / "data"))
    folder, _ = prepare_folder()
    assert folder == tmp_path / "data" / "trainer" and (folder / "casebook.ipynb").exists()


def test_jupyterlab_keeps_its_own_token_and_stays_quiet(tmp_path):
    argv = lab_argv(tmp_path, 9999, "localhost", open_browser=False, token=None)
    assert not any("token" in arg.lower() for arg in argv)  # JupyterLab makes one and prints the URL
    assert "--no-browser" in argv and f"--ServerApp.root_dir={tmp_path}" in argv
    assert "--LabApp.news_url=None" in argv
    assert "--IdentityProvider.token=T" in lab_argv(tmp_path, 9999, "localhost", True, "T")
