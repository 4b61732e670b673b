"""Shared contracts: event and RPC models every service imports. Add fields; never rename."""
