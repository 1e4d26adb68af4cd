"""DynamoDB and SQS access for the handlers: journal, WfRun state, metadata, queues.

Nothing here decides anything about a workflow; the core does. This package
only knows item shapes, keys and conditional writes.
"""
