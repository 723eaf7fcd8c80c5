-- Create an account unless its email is taken, in one step.
-- KEYS: account, email index, accounts set.  ARGV: account json, account id.
-- Returns 1 when created, 0 when the email belongs to an account already.
if redis.call('EXISTS', KEYS[2]) == 1 then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2])
redis.call('SADD', KEYS[3], ARGV[2])
return 1
