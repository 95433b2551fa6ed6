"""Activity: transaction log models, the recorder, live broadcast and history pages."""
