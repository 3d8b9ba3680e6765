"""The web dashboard: ``totalplace serve DIR`` shows a workspace's count in a
browser and as a JSON API, for the partners who read a count together.

This package never writes the count; it reads the reports ``totalplace
count`` leaves in ``DIR/reports`` and, for drill-down, the workspace's rows
through :func:`totalplace.count.trace.trace`.
"""

from totalplace.web.users import ROLES, User, add_user, list_users

__all__ = ["ROLES", "User", "add_user", "list_users"]
