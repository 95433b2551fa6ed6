"""Built-in policies, one module each; each registers itself with `@register`."""
