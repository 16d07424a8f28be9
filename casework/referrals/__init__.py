"""Referrals to partner organisations and MTESS: suggestions, lifecycle, consent gate, disclosures."""
