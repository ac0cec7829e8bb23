"""Package layout that pyproject.toml cannot express: the top-level ``themes/`` folder ships as
``workbench/themes/`` in the wheel (a package-dir mapping), next to the ``workbench*`` packages.

Everything else (metadata, dependencies, entry points, package data) is in pyproject.toml.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["workbench", "workbench.*"]), "workbench.themes"],
    package_dir={"workbench.themes": "themes"},
)
