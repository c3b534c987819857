"""Write a thin app notebook: ``python scripts/make_notebook.py NAME 'code'`` (ids included)."""

import sys

import nbformat

name, code = sys.argv[1], sys.argv[2]
notebook = nbformat.v4.new_notebook()
notebook.metadata = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}
notebook.cells = [nbformat.v4.new_code_cell(code)]
nbformat.write(notebook, f"notebooks/{name}.ipynb")
