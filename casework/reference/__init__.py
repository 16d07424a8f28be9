"""Reference data: regions, service points, organisations, need catalogue, occupations."""
