"""SQLAlchemy 2 persistence: tables mapped onto the domain classes, repositories, unit of work."""
