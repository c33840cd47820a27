"""The offline pipeline: sources read once, register tables converted, builds, releases, checks."""
