# restart-time.py GRANTD DIR TOKEN: start grantd on DIR/grantd.conf and time the first what-if
# answered (ph-028, team t1500, as bench-scale makes them); prints RSS after.  bench/RESULTS.md.
import subprocess, sys, time, http.client, json, os, resource
b, d, tok = sys.argv[1], sys.argv[2], sys.argv[3]
try: os.unlink(d + "/grantd.db.lock")
except OSError: pass
t0 = time.perf_counter()
p = subprocess.Popen([b, "-c", d + "/grantd.conf"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
line = p.stdout.readline().decode()
addr = line.split()[2]
t1 = time.perf_counter()
h, port = addr.split(":")
c = http.client.HTTPConnection(h, int(port))
c.request("POST", "/v1/phases/ph-028/enrollments", body=json.dumps({"team": "t1500", "dry_run": True}),
          headers={"Authorization": "Bearer " + tok, "Content-Type": "application/json"})
r = c.getresponse(); r.read()
t2 = time.perf_counter()
rss = open("/proc/%d/status" % p.pid).read().split("VmRSS:")[1].split()[0]
print("restart: listening after %.0f ms, first what-if (%d) answered after %.0f ms; RSS %s kB" % ((t1 - t0) * 1000, r.status, (t2 - t0) * 1000, rss))
p.kill(); p.wait()
