-- POST /products with a sku no other request has used: the run's number, the thread's
-- number, a counter and a random number. Argument: the run's number (also seeds the draw).
local counter = 0
local run = "0"
local headers = { ["Content-Type"] = "application/json" }

function setup(thread)
  thread_count = (thread_count or 0) + 1
  thread:set("thread_number", thread_count)
end

function init(args)
  run = args[1]
  math.randomseed(tonumber(run) + thread_number)
end

function request()
  counter = counter + 1
  local sku = string.format("w%s-%d-%d-%d", run, thread_number, counter, math.random(1, 1000000000))
  local body = string.format(
    '{"sku":"%s","name":"Bench product %d","price":"%d.%02d","stock":%d}',
    sku, counter, math.random(0, 9999), math.random(0, 99), math.random(0, 1000)
  )
  return wrk.format("POST", "/products", headers, body)
end
