// Probe: the floor under any gateway here (BENCHMARKS.md, "The floor"): the runtime's own work
// for one request, with nothing checked, signed or logged in the worker.
// - GET miss / PUT: one store fetch of a presigned URL, the request's method and body passed on,
//   the store's status, headers and body passed back;
// - GET hit (FLOOR_CACHE=1): `caches.default.match` of one entry (put there on the first request
//   from the store's answer), its body and headers passed back.
// FLOOR_URL is the presigned URL, base64url without padding (ab.mjs's variables cannot carry `:`
// or `=`); bench/probes/floor-url.mjs prints it.
//   AB_VARS="FLOOR_URL=$(node bench/probes/floor-url.mjs GET obj-1k)" node bench/ab.mjs "/bench/obj-1k?token=..." 6 5 floor=bench/probes/fetch-floor.mjs peer=peer
let url;
const KEY = "https://floor.invalid/entry";
export default { async fetch(req, env, ctx) {
  url ??= atob(env.FLOOR_URL.replace(/-/g, "+").replace(/_/g, "/"));
  if (env.FLOOR_CACHE === "1") {
    const hit = await caches.default.match(KEY);
    if (hit) return new Response(hit.body, { status: 200, headers: hit.headers });
    const r = await fetch(url);
    const h = new Headers(r.headers);
    h.set("cache-control", "public, max-age=3600");
    await caches.default.put(KEY, new Response(await r.arrayBuffer(), { status: 200, headers: h }));
    return new Response("filled");
  }
  const init = { method: req.method };
  if (req.method === "PUT") {
    init.body = req.body;
    init.headers = { "content-length": req.headers.get("content-length") };
  }
  const r = await fetch(url, init);
  return new Response(r.body, { status: r.status, headers: r.headers });
} };
