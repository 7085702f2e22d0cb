"""itcap: IT capability maturity assessment and IT perception surveys."""

__version__ = "0.1.0"
