"""The digest's Slack surface: Block Kit, the Slack publisher, and ``/factory digest``."""
