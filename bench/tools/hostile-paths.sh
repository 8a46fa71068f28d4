#!/bin/bash
# 20,000 requests (GET, OPTIONS, POST) to distinct /_profileflow/<4 KB> paths against a spawned serve (auth
# off, port 4612), then the size of /_profileflow/metrics, the time to scrape it, the live heap and the RSS.
# Metrics labels come from the route table, so the scrape must stay the size it was.
# Run from the repository after `npm run build`: bash bench/tools/hostile-paths.sh [REPO_DIR]
set -e
cd "${1:-.}"
D=$(mktemp -d)
node dist/bundle/profileflow.js serve --port 4612 --data-dir $D/data > $D/out 2>&1 &
PID=$!
sleep 2
msize() { curl -s http://127.0.0.1:4612/_profileflow/metrics | wc -c; }
echo "metrics bytes before $(msize), rss $(ps -o rss= -p $PID) KB"
node -e '
const pad = "a".repeat(4096);
(async () => {
  const methods = ["GET", "OPTIONS", "POST"];
  for (let i = 0; i < 20000; i += 50) {
    await Promise.all(Array.from({ length: 50 }, (_, j) => fetch(`http://127.0.0.1:4612/_profileflow/${i + j}-${pad}`, { method: methods[(i + j) % 3] }).then((r) => r.arrayBuffer()).catch(() => 0)));
  }
})();'
S=$(date +%s%N); B=$(msize); E=$(date +%s%N)
echo "metrics bytes after $B (scrape $(( (E-S)/1000000 )) ms), heap used $(curl -s http://127.0.0.1:4612/_profileflow/metrics | grep '^nodejs_heap_size_used_bytes' | cut -d' ' -f2), rss $(ps -o rss= -p $PID) KB"
kill $PID; wait $PID 2>/dev/null || true
