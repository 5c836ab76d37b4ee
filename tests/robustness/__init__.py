"""Robustness suite (issue 6): hostile input, bounded cost, crash safety, API security.

A package, so that its test modules never clash by name with those of
``tests/``; pytest still puts ``tests/`` on ``sys.path``, so the helpers of
the main suite (``api_server``, ``test_ingest_crash``…) are importable here.
"""
