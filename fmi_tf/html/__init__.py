"""Pages from templates: every page fmi_tf writes is rendered here.

The Jinja2 templates, the style sheets and the script live in `templates/`
as package data, never in Python strings; one environment with autoescape
renders them, so every value that reaches a page is escaped by
construction. The modules here take plain values and return HTML; the
stages that read atlases, examples and classifiers assemble those values.
"""
