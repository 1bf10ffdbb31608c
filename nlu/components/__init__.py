"""Custom Rasa graph components of this project (loaded by module path from nlu/config.yml)."""
