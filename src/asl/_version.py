"""The version of asl: the one place it is written (pyproject.toml reads it from here).

Release policy (docs/releasing.md): a release is the commit that sets this version, tagged
`v` + the version (`v0.1.0`); the README's pre-commit snippet names the latest tag."""

__version__ = "0.1.0"
