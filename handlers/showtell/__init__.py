"""Show-and-tell in Slack: listeners, Block Kit views and the Slack notifier of the service's port."""
