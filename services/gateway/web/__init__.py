"""The pages people use, one module per area with its ``ROUTES``; their templates are in
``templates/<area>/`` (the layout and the shared ones at the top), rendered by ``render.py``."""
from services.gateway.web import (advisors, analysts, home, intake, members, provider_courses, providers, saved_searches,
                                  search, sessions)

ROUTES = [*home.ROUTES, *search.ROUTES, *intake.ROUTES, *saved_searches.ROUTES, *providers.ROUTES,
          *provider_courses.ROUTES, *advisors.ROUTES, *analysts.ROUTES, *sessions.ROUTES,
          *members.ROUTES]
