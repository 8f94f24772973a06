// Probe: the floor under any gateway here (BENCHMARKS.md, "The floor"): the runtime's own work
// for one request, with nothing checked, signed or logged in the worker.
// - GET miss / PUT: one store fetch of a presigned URL, the request's method and body passed on,
//   the store's status, headers and body passed back;
// - GET hit (FLOOR_CACHE=1): `caches.default.match` of one entry (put there on the first request
//   from the store's answer), its body and headers passed back.
// - PUT with FLOOR_BODY=js: the body piped through an identity JS TransformStream (and a
//   FixedLengthStream, as a filtered upload is), FLOOR_BODY=digest: the same, each chunk also
//   written to a crypto.DigestStream: what any per-chunk look at a body costs on this runtime.
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
    const len = Number(req.headers.get("content-length"));
    init.body = req.body;
    if (env.FLOOR_BODY === "js" || env.FLOOR_BODY === "digest") {
      const w = env.FLOOR_BODY === "digest" ? new crypto.DigestStream("SHA-256").getWriter() : null;
      const ts = new TransformStream({ transform(c, ctl) { ctl.enqueue(c); return w?.write(c); }, flush() { return w?.close(); } });
      const fl = new FixedLengthStream(len);
      req.body.pipeThrough(ts).pipeTo(fl.writable);
      init.body = fl.readable;
    } else if (env.FLOOR_BODY === "byob" || env.FLOOR_BODY === "byob-digest") {
      // our own pump: BYOB reads of at least 256 KiB (workerd's readAtLeast), each written on
      const w = env.FLOOR_BODY === "byob-digest" ? new crypto.DigestStream("SHA-256").getWriter() : null;
      const fl = new FixedLengthStream(len);
      const out = fl.writable.getWriter();
      const rd = req.body.getReader({ mode: "byob" });
      (async () => {
        for (;;) {
          const { done, value } = await rd.readAtLeast(256 * 1024, new Uint8Array(512 * 1024));
          if (value?.byteLength) { w?.write(value); await out.write(value); }
          if (done) break;
        }
        await w?.close();
        await out.close();
      })();
      init.body = fl.readable;
    }
    init.headers = { "content-length": req.headers.get("content-length") };
  }
  const r = await fetch(url, init);
  return new Response(r.body, { status: r.status, headers: r.headers });
} };
