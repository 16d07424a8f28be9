"""The JSON API (/api/v1/): partner organisations' and the ministry's systems, same rules as the pages."""
