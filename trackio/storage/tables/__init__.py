"""The project store's tables and every SQL statement on them, written once in SQL that
SQLite and PostgreSQL both run (`?` placeholders; the PostgreSQL connection adapts
them). Each backend supplies connections (`sql.Connection`) and the schema."""
