"""Emitters: IR → output objects for one implementation family."""
