"""Perception surveys: instruments, campaigns, invitations, responses, scoring and group statistics."""
