-- wrk script for `scripts/kms bench`: replays a pool of complete, pre-signed HTTP requests
-- and checks every response.
--
--   wrk ... -s bench/pool.lua URL -- POOL_PREFIX MODE [MUST_CONTAIN]
--
-- POOL_PREFIX.<n> (n = 0 .. threads-1) holds thread n's requests, each a complete HTTP/1.1
-- request (request line, headers, body) followed by one NUL byte. They are written by
-- bench/kmsbench.py seconds before the run: wrk's LuaJIT has no HMAC-SHA256, and TC3
-- signatures stay valid for 300 s. The service remembers every signature with the action,
-- region and version it was first used with (SPEC §6) and allows identical repeats, so a
-- pool may be replayed as long as each of its signatures always goes with the same request.
--
-- MODE "cycle": the thread goes round its requests again and again (Encrypt, DescribeKey…).
-- MODE "once":  every request may be sent only once (CreateKey aliases, ImportKeyMaterial
--               tokens). When a thread has sent all of its requests the pool is exhausted:
--               it counts each further request as `exhausted` and re-sends its first request,
--               which the service must refuse (alias taken, token spent), so the run shows
--               errors; the bench treats any exhaustion as a failed run, never as success.
--
-- MODE "work":  a fixed amount of work instead of a fixed duration, for requests too costly
--               to pre-make by the tens of thousands (ImportKeyMaterial: every token is one
--               GetParametersForImport, i.e. one RSA-2048 key generation on the server). Each
--               request is sent exactly once; a thread that has sent all of its requests sends
--               nothing more (delay() parks its connections), and once all of its answers are in it prints
--               "POOL_DONE" and stops. kmsbench.py interrupts wrk (SIGINT) when every thread
--               is done, so wrk's duration is the time the work took.
--
-- A response counts as a success only if its status is 200 and its body has no "Error" (and,
-- when MUST_CONTAIN is given, contains it verbatim: VerifyByAsymmetricKey's answer
-- `"SignatureValid":false` is no error, but a run of them is not a run of verifications);
-- done() prints one line, "BENCH_RESULT {json}", that kmsbench.py parses.

local threads = {}
local next_id = 0

function setup(thread)
    thread:set("tid", next_id)
    next_id = next_id + 1
    table.insert(threads, thread)
end

function init(args)
    local prefix, mode = args[1], args[2]
    assert(prefix and (mode == "cycle" or mode == "once" or mode == "work"),
           "usage: -- POOL_PREFIX cycle|once|work [MUST_CONTAIN]")
    must = args[3]
    if must == "" then must = nil end
    local file = assert(io.open(prefix .. "." .. tid, "rb"))
    local data = file:read("*a")
    file:close()
    pool = {}
    local pos = 1
    while true do
        local nul = data:find("\0", pos, true)
        if not nul then break end
        pool[#pool + 1] = data:sub(pos, nul - 1)
        pos = nul + 1
    end
    assert(#pool > 0, "empty pool file " .. prefix .. "." .. tid)
    count = #pool
    once = mode ~= "cycle"
    work = mode == "work"
    answered = 0
    reserved = 0
    verified = false
    if work then
        -- Called before every request: a connection whose thread has sent everything waits
        -- (an hour, far beyond the run) instead of sending anything else.
        -- wrk calls delay() and then, once the delay is over, request(); several connections
        -- can be between the two at once, so delay() reserves the request it lets through.
        delay = function()
            if index + reserved >= count then return 3600000 end
            reserved = reserved + 1
            return 0
        end
    end
    index = 0
    sent = 0
    exhausted = 0
    ok = 0
    bad_body = 0
    bad_status = 0
    sample = ""
end

function request()
    if tid == 0 and not verified then
        -- wrk calls request() once on thread 0 before any thread runs, to check what the
        -- script returns; that request is never sent, so it must not use up a pool entry.
        verified = true
        return pool[1]
    end
    sent = sent + 1
    if reserved > 0 then reserved = reserved - 1 end
    if once and index >= count then
        exhausted = exhausted + 1
        return pool[1]
    end
    index = index + 1
    if index > count then index = 1 end
    return pool[index]
end

function response(status, headers, body)
    if status ~= 200 then
        bad_status = bad_status + 1
        if sample == "" then sample = "HTTP " .. status .. ": " .. (body or ""):sub(1, 300) end
    elseif body == nil or body:find('"Error"', 1, true) or (must and not body:find(must, 1, true)) then
        bad_body = bad_body + 1
        if sample == "" then sample = (body or "(no body)"):sub(1, 300) end
    else
        ok = ok + 1
    end
    if work then
        answered = answered + 1
        if answered == count then
            io.write("POOL_DONE " .. tid .. "\n")
            io.flush()
            wrk.thread:stop()
        end
    end
end

local function json_string(s)
    s = tostring(s or "")
    s = s:gsub('[%c"\\]', function(c)
        if c == '"' then return '\\"' end
        if c == "\\" then return "\\\\" end
        return string.format("\\u%04x", c:byte())
    end)
    -- Keep the line ASCII so the parser never trips over a cut multi-byte character.
    s = s:gsub("[\128-\255]", "?")
    return '"' .. s .. '"'
end

function done(summary, latency, requests)
    local t = { ok = 0, bad_body = 0, bad_status = 0, exhausted = 0, sent = 0, pool = 0 }
    local sample = ""
    for _, thread in ipairs(threads) do
        for name in pairs(t) do
            t[name] = t[name] + (thread:get(name == "pool" and "count" or name) or 0)
        end
        local s = thread:get("sample")
        if sample == "" and s then sample = s end
    end
    local e = summary.errors
    local p = function(q) return latency:percentile(q) end
    io.write(string.format(
        'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,' ..
        '"ok":%d,"bad_body":%d,"bad_status":%d,"exhausted":%d,"sent":%d,"pool":%d,' ..
        '"connect_errors":%d,"read_errors":%d,"write_errors":%d,"status_errors":%d,"timeouts":%d,' ..
        '"lat_mean_us":%.1f,"lat_max_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,' ..
        '"sample_error":%s}\n',
        summary.requests, summary.duration, summary.bytes,
        t.ok, t.bad_body, t.bad_status, t.exhausted, t.sent, t.pool,
        e.connect, e.read, e.write, e.status, e.timeout,
        latency.mean, latency.max, p(50), p(90), p(99), p(99.9),
        json_string(sample)))
end
