-- Anonymous PUTs of 4 KiB objects with distinct keys into a public-read-write bucket.
local body = string.rep("x", 4096)
local n = 0
local tid = 0
setup = function(thread) tid = tid + 1; thread:set("tid", tid) end
request = function()
  n = n + 1
  return wrk.format("PUT", "/bench/k" .. tid .. "-" .. n, {["Content-Length"]="4096"}, body)
end
done = function(summary, latency, requests)
  io.write(string.format("errors: connect %d read %d write %d status %d timeout %d\n",
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout))
end
