"""Concrete adapters for the service ports: database, crypto, policies, logging."""
