"""Assessments, assessor ratings, consensus, inter-rater reliability and recommendations."""
