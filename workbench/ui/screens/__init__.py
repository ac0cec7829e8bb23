"""Modal screens: help, session picker."""
