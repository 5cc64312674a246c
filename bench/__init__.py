"""``make bench``: mockgw's throughput against a bare aiohttp handler on the same machine."""
