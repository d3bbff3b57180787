"""Eye's server: checks API keys and origins, stores sessions and events, serves the widget."""
