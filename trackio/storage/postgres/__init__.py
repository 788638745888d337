"""The project store on PostgreSQL, for team servers that share one database."""
