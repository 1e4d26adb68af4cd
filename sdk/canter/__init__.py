"""Canter SDK: workflow builder, client, task worker, CLI and local stack."""
