from pathlib import Path

from setuptools import find_packages, setup

here = Path(__file__).parent
requirements = [
    line.split("#")[0].strip()
    for line in (here / "requirements.txt").read_text().splitlines()
    if line.split("#")[0].strip()
]

setup(
    name="flair-hpo",
    version="0.1.0",
    description="Hyperparameter search for flair sequence taggers and text classifiers",
    long_description=(here / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["flair_hpo", "flair_hpo.*"]),
    package_data={"flair_hpo": ["py.typed"]},
    python_requires=">=3.9",
    install_requires=requirements,
    extras_require={
        "test": ["pytest==9.0.3", "mypy==2.4.1"],
        "mlflow": ["mlflow-skinny>=2.10"],
        "ray": ["ray>=2.9"],
        "optuna": ["optuna>=4.0", "cmaes>=0.10"],
        "bench": ["optuna>=3.6", "psutil", "ray>=2.9"],
    },
    entry_points={"console_scripts": ["flair-hpo=flair_hpo.frontends.cli:main"]},
)
