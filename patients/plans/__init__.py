"""Taper plans: the schedule generator, the guideline checks, the timeline a plan gives a
patient, and the plan screens and API."""
