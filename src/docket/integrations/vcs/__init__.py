"""Version control: connected repositories and the commits and pull requests they report."""
