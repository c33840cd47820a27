"""charta: the linked-open-data publisher for the Charta Grüne Infrastruktur Metropole Ruhr."""

__version__ = "0.1.0"
