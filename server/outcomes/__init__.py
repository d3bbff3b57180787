"""What sessions come to: the records reviewers read, the integrity score, human review
(verdicts, review states, the queue, the audit trail) and per-assessment reports."""
