"""Hugging Face Hub hosting: what runs in a Space, and where its data is kept."""
