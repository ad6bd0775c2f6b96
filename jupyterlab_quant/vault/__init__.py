"""The vault (保险库): keys, envelope encryption, versioned strategies, encrypted trade fields, audit log,
encrypted backups. Plaintext strategy code and trade amounts exist only in memory."""
