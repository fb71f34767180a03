"""The monitoring pages (station map, station page, alarm list, feed health): one module per group."""
