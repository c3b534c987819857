"""YAML as the casebook reads it: libyaml's safe loader where installed (several times faster
than the pure-Python one, which matters in every kernel that loads the catalogue, the messages
and the cases), the pure-Python safe loader otherwise."""

from __future__ import annotations

import yaml

SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str):
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - a safe loader
