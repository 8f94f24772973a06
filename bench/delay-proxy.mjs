// A TCP proxy that puts distance between a client and a server: every chunk is held `delayMs`
// before it is passed on, in each direction (a one-way latency, as netem's `delay`), and a new
// connection's first bytes wait one more round trip (the TCP handshake a far server costs). No
// bandwidth limit: only latency is modelled. It counts connections and bytes each way, so a
// benchmark can say how much the far server sent per request.
//   node bench/delay-proxy.mjs LISTEN_PORT TARGET_HOST:PORT [DELAY_MS=40]
// or, in-process: `const p = await startDelayProxy({ port, target: { host, port }, delayMs })`.
import net from "node:net";
import { pathToFileURL } from "node:url";

/** One direction of one connection: chunks leave in order, each `delayMs` after it arrived. */
function delayedPipe(from, to, delayMs, notBefore, count) {
  const queue = [];
  let timer = null;
  let ended = false;
  const drain = () => {
    timer = null;
    const now = performance.now();
    while (queue.length && queue[0].due <= now) {
      const { chunk } = queue.shift();
      if (chunk === null) to.end();
      else if (!to.destroyed) to.write(chunk);
    }
    if (queue.length) timer = setTimeout(drain, Math.max(0, queue[0].due - performance.now()));
  };
  const push = (chunk) => {
    const due = Math.max(performance.now(), notBefore()) + delayMs;
    queue.push({ due, chunk });
    if (!timer) timer = setTimeout(drain, Math.max(0, queue[0].due - performance.now()));
  };
  from.on("data", (chunk) => {
    count(chunk.length);
    push(chunk);
  });
  from.on("end", () => {
    if (!ended) { ended = true; push(null); }
  });
}

/**
 * Start the proxy on 127.0.0.1:`port` towards `target` ({host, port}). `handshake` (default true)
 * makes a new connection's first bytes wait a round trip more. Resolves to
 * `{ url, stats: {connections, up, down}, reset(), close() }` (`up`: bytes client → server).
 */
export async function startDelayProxy({ port = 0, target, delayMs = 40, handshake = true }) {
  const stats = { connections: 0, up: 0, down: 0 };
  const sockets = new Set();
  const server = net.createServer((client) => {
    stats.connections++;
    const opened = performance.now();
    const upstream = net.connect(target.port, target.host);
    for (const s of [client, upstream]) {
      s.setNoDelay(true);
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
    }
    // SYN and SYN-ACK: the client's first bytes leave a round trip after it connected
    const ready = () => opened + (handshake ? 2 * delayMs : 0);
    delayedPipe(client, upstream, delayMs, ready, (n) => (stats.up += n));
    delayedPipe(upstream, client, delayMs, () => 0, (n) => (stats.down += n));
    const kill = () => setTimeout(() => { client.destroy(); upstream.destroy(); }, delayMs);
    client.on("error", kill);
    upstream.on("error", kill);
    client.on("close", kill);
    upstream.on("close", kill);
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    port: server.address().port,
    stats,
    reset() { stats.connections = 0; stats.up = 0; stats.down = 0; },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(r));
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] || "").href) {
  const [listen, target, delay = "40"] = process.argv.slice(2);
  if (!listen || !target || !target.includes(":")) {
    console.error("usage: node bench/delay-proxy.mjs LISTEN_PORT TARGET_HOST:PORT [DELAY_MS=40]");
    process.exit(2);
  }
  const [host, tport] = [target.slice(0, target.lastIndexOf(":")), Number(target.slice(target.lastIndexOf(":") + 1))];
  const p = await startDelayProxy({ port: Number(listen), target: { host, port: tport }, delayMs: Number(delay) });
  console.error(`delay proxy ${p.url} -> ${host}:${tport}, ${delay} ms each way`);
  setInterval(() => console.error(`connections ${p.stats.connections}, up ${p.stats.up} B, down ${p.stats.down} B`), 10_000).unref();
}
