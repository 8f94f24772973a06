// Probe: what one console.log of an access-line-sized string costs a JS worker (BENCHMARKS.md, "CPU per request").
//   node bench/ab.mjs / 4 3 none=bench/probes/console-log.mjs:LOG=0 long=bench/probes/console-log.mjs:LOG=1 short=bench/probes/console-log.mjs:LOG=2
const line = JSON.stringify({ t: Date.now(), id: "0123456789ABCDEF", m: "GET", path: "/bench/obj-1k", op: "GetObject", status: 200, principal: "token:b1", bucket: "bench", key: "obj-1k", cache: "BYPASS", store: [{ m: "GET", status: 200, ms: 1, bytes: 1024 }], bytes: 1024, ms: 3, pad: "x".repeat(200) });
export default { async fetch(req, env) {
  if (env.LOG === "1") console.log(line);
  if (env.LOG === "2") console.log("x");
  return new Response("hello");
} };
