"""Canter engine: model, pure core, store and Lambda handlers."""
