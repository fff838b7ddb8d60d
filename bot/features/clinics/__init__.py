"""Clinics: recurring community sessions with a host, RSVPs and calendar files."""
