-- wrk script for bench/api_load.py: each request a different /api/events query
-- (filters and pages as a dashboard asks them), read from VIGILE_PATHS.
local paths = {}
for line in io.lines(os.getenv("VIGILE_PATHS")) do paths[#paths + 1] = line end
local i = 0
request = function()
  i = (i % #paths) + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  io.write(string.format("WRK p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f requests=%d errors=%d non2xx=%d\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
