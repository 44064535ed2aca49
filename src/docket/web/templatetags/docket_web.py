"""Template helpers shared by every page. Presentation only: no permission or domain rule."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from docket.core import markdown as markdown_renderer

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    """User text rendered by core/markdown.py, which sanitises with nh3 (no script survives)."""
    return mark_safe(markdown_renderer.render(text or ""))  # noqa: S308 - sanitised by nh3


@register.filter
def status_class(category: str) -> str:
    return category if category in {"todo", "in_progress", "done"} else ""


@register.filter
def get(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.simple_tag(takes_context=True)
def query_with(context: Any, **changes: Any) -> str:
    """The current URL's query string with some parameters replaced (None removes one)."""
    params = context["request"].GET.copy()
    for name, value in changes.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"
