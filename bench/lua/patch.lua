-- PATCH /products/{id}: a new price and stock for an id drawn at random among the seeded ones.
-- Arguments: the file of ids (one a line), a number that seeds the draw.
local ids = {}
local headers = { ["Content-Type"] = "application/json" }

function setup(thread)
  thread_count = (thread_count or 0) + 1
  thread:set("thread_number", thread_count)
end

function init(args)
  for line in io.lines(args[1]) do
    ids[#ids + 1] = line
  end
  math.randomseed(tonumber(args[2]) + thread_number)
end

function request()
  local body = string.format(
    '{"price":"%d.%02d","stock":%d}', math.random(0, 9999), math.random(0, 99), math.random(0, 100000)
  )
  return wrk.format("PATCH", "/products/" .. ids[math.random(#ids)], headers, body)
end
