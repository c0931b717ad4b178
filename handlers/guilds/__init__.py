"""Guilds in Slack: listeners, Block Kit views and the Slack adapters of the services' interfaces."""
