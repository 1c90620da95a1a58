-- GET <path>/{id}, the path the URL names (/products, /events), the id drawn at random
-- among the seeded ones.
-- Arguments: the file of ids (one a line), a number that seeds the draw.
local ids = {}
local prefix

function setup(thread)
  thread_count = (thread_count or 0) + 1
  thread:set("thread_number", thread_count)
end

function init(args)
  prefix = wrk.path
  for line in io.lines(args[1]) do
    ids[#ids + 1] = line
  end
  math.randomseed(tonumber(args[2]) + thread_number)
end

function request()
  return wrk.format("GET", prefix .. "/" .. ids[math.random(#ids)])
end
