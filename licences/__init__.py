"""The consolidated licence: numbering, PDF rendering and public verification.

Reserved for the licence capability; the triage foundation does not issue licences yet.
"""
