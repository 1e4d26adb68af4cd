"""LittleHorse proto-JSON as typed models, values and validation."""
