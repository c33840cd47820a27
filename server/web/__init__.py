"""The web runtime: the Flask app, its state, negotiation, admission and views."""
