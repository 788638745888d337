"""Alerts: `trackio.alert(title, text, level)` printed, stored with the run, and sent
to a webhook (Slack, Discord, or any URL taking JSON)."""
