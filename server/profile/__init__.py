"""The Charta's profile: its page kinds, queries, examples, register tables and OParl mapping."""
