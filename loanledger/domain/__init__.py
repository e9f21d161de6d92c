"""LoanLedger domain core: pure rules over integer fen, no framework imports."""
