"""Alerts: the rules, the evaluation that raises alerts from logs and plans, the staff workflow
(acknowledge, assign, snooze, resolve), the periodic jobs and notifications, and the alert
screens and API. Alerts depend on logs and plans; logs and plans never import alerts."""
