"""Canter's AWS infrastructure: one CDK stack built from `canter_engine.resources`."""
