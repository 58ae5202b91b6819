"""Spec (and derived data) -> {relative path: text}. Pure: templates in, text out."""
