local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/bench/g" .. (n % 1000))
end
