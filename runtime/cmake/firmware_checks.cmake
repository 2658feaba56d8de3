# Cortex-M firmware checks (no-heap link, size report): filled in below.
