"""Charts for the pages, drawn on the server as SVG by pygal (no browser or script needed to see
them). Each carries a <title> and a <desc> for screen readers; the page puts the table of its
numbers beside it. A hidden count (a small group) is a gap in the chart, as in the table."""
from __future__ import annotations

import re
from html import escape

import pygal
from pygal.style import Style

STYLE = Style(background="white", plot_background="white", foreground="#0b0c0c", foreground_strong="#0b0c0c",
              foreground_subtle="#505a5f", colors=("#154273", "#d4351c", "#00703c", "#f47738", "#5694ca", "#912b88"),
              font_family="Arial, Helvetica, sans-serif", label_font_size=14, major_label_font_size=14,
              legend_font_size=14, title_font_size=18, value_font_size=12)


def bar_chart(title: str, description: str, labels: list[str], series: dict[str, list], nonce: str,
              horizontal: bool = False, chart_id: str = "chart") -> str:
    """An accessible SVG bar chart: ``series`` name → values (None: hidden, drawn as a gap)."""
    chart = (pygal.HorizontalBar if horizontal else pygal.Bar)(
        style=STYLE, js=[], disable_xml_declaration=True, width=800, height=420 if not horizontal else 80 + 32 * len(labels),
        show_legend=len(series) > 1, legend_at_bottom=True, x_label_rotation=0 if horizontal else 30,
        print_values=False, explicit_size=False, truncate_label=40)
    chart.title = title
    chart.x_labels = labels
    for name, values in series.items():
        chart.add(name, values)
    return _accessible(chart.render(is_unicode=True), title, description, chart_id, nonce)


def _accessible(svg: str, title: str, description: str, chart_id: str, nonce: str) -> str:
    """The chart as an image with a name and a description: role, <title>, <desc>; its style
    allowed by the page's nonce (the Content-Security-Policy allows no other inline style)."""
    svg = re.sub(r"<script[^>]*>.*?</script>", "", svg, flags=re.S)      # pygal's tooltips: not needed
    svg = svg.replace('<style type="text/css">', f'<style type="text/css" nonce="{nonce}">')
    head = re.match(r"<svg[^>]*>", svg).group(0)
    named = head[:-1] + f' role="img" aria-labelledby="{chart_id}-title {chart_id}-desc">'
    return named + (f'<title id="{chart_id}-title">{escape(title)}</title>'
                    f'<desc id="{chart_id}-desc">{escape(description)}</desc>') + svg[len(head):]
