"""The page model: what a resource page shows, read from a store, with no web module in sight."""
