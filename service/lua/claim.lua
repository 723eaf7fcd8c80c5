-- Take up to N queued comments for scoring and remember who has them until they are done,
-- so a worker that dies mid-batch does not lose them (the sweep puts expired claims back).
-- KEYS: score queue, claims (zset member -> claim time). ARGV: count, now.
local items = redis.call('LPOP', KEYS[1], ARGV[1])
if not items then
  return {}
end
for _, member in ipairs(items) do
  redis.call('ZADD', KEYS[2], ARGV[2], member)
end
return items
