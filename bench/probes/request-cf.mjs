// Probe: what reading `request.cf` once per request costs a JS worker under Miniflare (BENCHMARKS.md, "CPU per request").
//   node bench/ab.mjs / 6 3 none=bench/probes/request-cf.mjs:CF=0 cf=bench/probes/request-cf.mjs:CF=1
export default { async fetch(req, env) {
  let v = "";
  if (env.CF === "1") { const cf = req.cf; v = (cf && cf.clientAcceptEncoding) || ""; }
  return new Response("hello" + v.length);
} };
