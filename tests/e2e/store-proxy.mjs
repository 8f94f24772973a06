// A tiny HTTP proxy between gateways and the test store: it counts what the store sends back
// (so a test can show a revalidated hit fetched no body), and can make the store misbehave for
// the requests a test picks:
//   hold(pred)  forward them, but keep the store's answer until release(): the store did the
//               write, the gateway gives up (504) without knowing (an unknown outcome)
//   fail(pred)  answer 503 SlowDown without forwarding: the write did not happen
//   down(pred)  drop the connection without an answer (an unreachable store)
// `pred(req)` gets { method, url, headers }; without one, every request. Requests are forwarded
// with their Host header, so the gateway's SigV4 signature (made for the proxy's host) holds.
import http from "node:http";
import { STORE_URL } from "./harness.mjs";

export async function startStoreProxy(target = STORE_URL) {
  const up = new URL(target);
  const log = []; // { method, url, status, bytes, ifNoneMatch, range }
  let rule = null; // { kind, pred }
  const held = []; // pending store answers: { settled: Promise, flush() }
  let waiters = [];

  const server = http.createServer((req, res) => {
    const entry = { method: req.method, url: req.url, status: 0, bytes: 0, ifNoneMatch: req.headers["if-none-match"], range: req.headers.range };
    log.push(entry);
    const r = rule && rule.pred({ method: req.method, url: req.url, headers: req.headers }) ? rule.kind : "pass";
    if (r === "down") {
      req.socket.destroy();
      return;
    }
    if (r === "fail") {
      req.resume();
      entry.status = 503;
      const body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code><Message>paused by the test</Message></Error>";
      res.writeHead(503, { "content-type": "application/xml", "content-length": Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    const out = http.request({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers }, (sr) => {
      entry.status = sr.statusCode;
      const send = () => {
        if (res.destroyed) {
          sr.resume();
          return;
        }
        res.writeHead(sr.statusCode, sr.headers);
        sr.on("data", (c) => (entry.bytes += c.length));
        sr.pipe(res);
      };
      if (r === "hold") {
        held.push(send);
        for (const w of waiters) w();
        waiters = [];
      } else {
        send();
      }
    });
    out.on("error", () => res.destroy());
    req.pipe(out);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = server.address().port;
  const all = () => true;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    /** Forget the log (counting starts again). */
    reset() { log.length = 0; },
    /** Store body bytes relayed since the last reset. */
    bytes() { return log.reduce((n, e) => n + e.bytes, 0); },
    hold(pred = all) { rule = { kind: "hold", pred }; },
    fail(pred = all) { rule = { kind: "fail", pred }; },
    down(pred = all) { rule = { kind: "down", pred }; },
    /** Wait until `n` held requests have the store's answer (the store finished them). */
    async heldAnswers(n = 1) {
      while (held.length < n) await new Promise((r) => waiters.push(r));
    },
    /** Back to a well-behaved store; held answers are sent (to a gateway that gave up). */
    pass() {
      rule = null;
      for (const f of held.splice(0)) f();
    },
    close() {
      this.pass();
      server.closeAllConnections?.();
      return new Promise((r) => server.close(r));
    },
  };
}
