"""CalDAV accounts (iCloud, Fastmail, Nextcloud, …): a source and a sink."""
