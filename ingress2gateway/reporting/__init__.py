"""What users read about a conversion: notifications, the ledger, and their text, JSON and CI renderings."""
