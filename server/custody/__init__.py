"""What Eye keeps and gives back: evidence files (where they live, how they are written and
checked, deleted with their rows) and retention (purge, a candidate's export and deletion)."""
