"""What several stages need, computed from the parsed spec: rule tests, route cases, the routing tree."""
