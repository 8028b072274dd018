"""Operating the service: health checks, Prometheus metrics, crawler files (robots.txt, the
sitemap, the favicon) and the log format."""
