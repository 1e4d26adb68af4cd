"""Lambda entry points: ``api`` (HTTP API), ``scheduler`` (journal stream), ``timers`` (SQS)."""
