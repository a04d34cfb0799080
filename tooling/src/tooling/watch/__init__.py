"""make watch: hot reload of the deployed local stack on every save (``reload`` says how)."""
