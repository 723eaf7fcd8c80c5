-- Count one more comment by an author in a sliding window and return how many there are now.
-- KEYS: the author's window (zset). ARGV: now, window seconds, member.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[3])
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2])) + 1)
return redis.call('ZCARD', KEYS[1])
