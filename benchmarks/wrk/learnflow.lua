-- wrk script of benchmarks/compare.py. Arguments (after `--`):
--   mode      update | status | lesson
--   ids       unique per run: every event id starts with it
--   prefix    learner ids are <prefix>-l<n> (a warm-up uses the same learners as its measured run)
--   learners  how many learners the requests are spread over (1 = one hot learner)
--   start     completed_at of a thread's first event (Unix seconds); each next one is STEP later
--   threads   wrk's thread count (-t)
--   token     a bearer JWT sent as "Authorization: Bearer <token>" on every request (compare.py passes
--             an operator's, harness.operator_headers; the baseline receives it too and ignores it)
-- Every request of a run has its own event id (prefix, counter, thread); learners are taken
-- round robin over all threads. completed_at advances STEP seconds per request of a thread (plus the
-- thread number), so a learner's events arrive in time order, as they do in practice - an event
-- before the learner's newest is a late event and costs a re-fold - and a hot learner spreads over
-- days instead of meeting the limit of 500 events per UTC day. Non-2xx/3xx answers are counted in errors.status (wrk counts >= 400). done() prints one line "JSON {...}" that compare.py reads.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

local counter = 0
local STEP = 180
local activities = { "lesson", "exercise", "quiz", "review" }
local topics = { "variables", "loops", "functions" }

function init(args)
  mode = args[1]
  ids = args[2]
  prefix = args[3]
  learners = tonumber(args[4])
  start = tonumber(args[5])
  total_threads = tonumber(args[6])
  local authorization = "Bearer " .. assert(args[7], "the 7th argument, a bearer token, is missing")
  auth_headers = { ["Authorization"] = authorization }
  json_headers = { ["Content-Type"] = "application/json", ["Authorization"] = authorization }
end

function request()
  counter = counter + 1
  local n = counter * total_threads + tid
  local learner = prefix .. "-l" .. (n % learners)
  if mode == "update" then
    local body = '{"event_id":"' .. ids .. string.format("-%09d-t%03d", counter, tid) .. '","learner_id":"' .. learner
      .. '","activity":"' .. activities[n % 4 + 1] .. '","topic":"' .. topics[n % 3 + 1]
      .. '","score":' .. (60 + n % 40) .. ',"duration_seconds":300,"completed_at":"'
      .. os.date("!%Y-%m-%dT%H:%M:%SZ", start + counter * STEP + tid) .. '"}'
    return wrk.format("POST", "/update-progress", json_headers, body)
  elseif mode == "status" then
    return wrk.format("GET", "/status?learner_id=" .. learner, auth_headers)
  else
    return wrk.format("POST", "/generate-lesson", json_headers, '{"learner_id":"' .. learner .. '"}')
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'JSON {"requests":%d,"duration_us":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
      .. '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
