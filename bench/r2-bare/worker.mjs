// The R2 baseline for the bench: no gateway, a bare worker on the same binding (the "direct" of
// the R2 rows). GET /<bucket>/<key> streams env.BAGROOM_R2.get(key); PUT stores the request body
// with env.BAGROOM_R2.put(key, body). No auth, no cache, no headers beyond length, type and ETag.
export default {
  async fetch(request, env) {
    const key = decodeURIComponent(new URL(request.url).pathname.split("/").slice(2).join("/"));
    if (request.method === "PUT") {
      const o = await env.BAGROOM_R2.put(key, request.body, { httpMetadata: { contentType: request.headers.get("content-type") || undefined } });
      return new Response(null, { headers: { etag: `"${o.etag}"` } });
    }
    if (request.method === "GET" || request.method === "HEAD") {
      const o = await env.BAGROOM_R2.get(key);
      if (!o) return new Response("no such key\n", { status: 404 });
      const headers = { "content-length": String(o.size), etag: o.httpEtag, "content-type": o.httpMetadata?.contentType || "application/octet-stream" };
      return new Response(request.method === "HEAD" ? null : o.body, { headers });
    }
    return new Response("method not allowed\n", { status: 405 });
  },
};
