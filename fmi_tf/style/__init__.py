"""Energy reallocation, style losses, style transfer and texture synthesis."""
