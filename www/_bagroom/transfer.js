// Upload engines: one request through the edge, presigned PUT and POST policy straight to the
// store, and multipart (parts straight to the store or through the edge), with progress,
// cancellation, and resume after a reload (the upload's identity is kept in localStorage).
import { api, authHeaders, errorFrom, ApiError, keyPath } from "./api.js";

export const PARALLEL_PARTS = 3;
const STORE_KEY = "bagroom.pending-uploads.v1";

// ---------------------------------------------------------------------------------------------
// Pending multipart uploads (for resume after a reload)

export function pendingUploads(bucket) {
  try {
    const all = JSON.parse(localStorage.getItem(STORE_KEY) || "[]");
    return Array.isArray(all) ? all.filter((p) => p && p.bucket === bucket && p.uploadId && p.key) : [];
  } catch {
    return [];
  }
}

function savePending(entry) {
  const all = allPending().filter((p) => p.uploadId !== entry.uploadId);
  all.push(entry);
  try { localStorage.setItem(STORE_KEY, JSON.stringify(all)); } catch { /* storage full or blocked: no resume */ }
}

export function dropPending(uploadId) {
  try { localStorage.setItem(STORE_KEY, JSON.stringify(allPending().filter((p) => p.uploadId !== uploadId))); } catch { /* ignore */ }
}

function allPending() {
  try {
    const v = JSON.parse(localStorage.getItem(STORE_KEY) || "[]");
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
}

/** Note a finished part in its pending entry (the store may not be able to list them: R2's binding). */
function rememberPart(uploadId, n, etag, size) {
  const all = allPending();
  const e = all.find((p) => p.uploadId === uploadId);
  if (!e || !etag) return;
  e.parts = { ...(e.parts || {}), [n]: { etag, size } };
  try { localStorage.setItem(STORE_KEY, JSON.stringify(all)); } catch { /* ignore */ }
}

/**
 * The parts of a pending upload already in the store: the gateway's listing, or, where the
 * store cannot list an upload's parts (an R2 binding: the session says `list_parts: false`, or
 * `direct_uploads: false` without that field; or the listing answers NotImplemented), the ones
 * this browser sent and noted. Resolves to [{ PartNumber, ETag, Size }].
 */
export async function listedParts(session, { uploadId, key }, signal) {
  const remembered = () => {
    const entry = allPending().find((p) => p.uploadId === uploadId);
    return Object.entries(entry?.parts || {}).map(([n, p]) => ({ PartNumber: Number(n), ETag: p.etag, Size: p.size }));
  };
  const canList = session.list_parts ?? session.direct_uploads !== false;
  if (!canList) return remembered();
  try {
    return await api(`/s3/multipart/${encodeURIComponent(uploadId)}?${new URLSearchParams({ key })}`, { signal });
  } catch (e) {
    if (e instanceof ApiError && e.code === "NotImplemented") return remembered();
    throw e;
  }
}

export function sameFile(entry, file) {
  return entry.name === file.name && entry.size === file.size && entry.lastModified === file.lastModified;
}

// ---------------------------------------------------------------------------------------------
// XMLHttpRequest as a promise, with upload progress and an AbortSignal

function abortError() {
  return new DOMException("The upload was cancelled.", "AbortError");
}

/** Send one request; resolves with the XHR on 2xx, rejects with ApiError (or AbortError). */
export function send({ method, url, headers = {}, body, onProgress, signal }) {
  return new Promise((resolve, reject) => {
    if (signal && signal.aborted) return reject(abortError());
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    if (onProgress) xhr.upload.onprogress = (e) => onProgress(e.loaded);
    const onAbort = () => xhr.abort();
    if (signal) signal.addEventListener("abort", onAbort, { once: true });
    const done = () => signal && signal.removeEventListener("abort", onAbort);
    xhr.onload = () => {
      done();
      if (xhr.status >= 200 && xhr.status < 300) resolve(xhr);
      else reject(errorFrom(xhr.status, xhr.responseText));
    };
    xhr.onerror = () => { done(); reject(new ApiError({ status: 0, code: "NetworkError", message: "network error" })); };
    xhr.ontimeout = xhr.onerror;
    xhr.onabort = () => { done(); reject(abortError()); };
    xhr.send(body);
  });
}

function etagOf(xhr) {
  const e = xhr.getResponseHeader("ETag");
  return e ? e.trim() : null;
}

// ---------------------------------------------------------------------------------------------
// Choosing the method

/** route: "edge" | "direct"; kind: "auto" | "put" | "post" | "multipart". */
export function resolveMethod(session, route, kind, size) {
  if (session.direct_uploads === false) route = "edge"; // nothing to presign (an R2 binding)
  if (kind === "auto") {
    if (size > session.multipart_threshold) kind = "multipart";
    else kind = route === "direct" && session.post_policy ? "post" : "put";
  }
  if (kind === "post" && (route !== "direct" || !session.post_policy)) kind = "put";
  return `${route}-${kind}`; // edge-put, direct-put, direct-post, edge-multipart, direct-multipart
}

export const METHOD_LABEL = {
  "edge-put": "one PUT through the edge",
  "direct-put": "one presigned PUT straight to the store",
  "direct-post": "one POST form straight to the store",
  "edge-multipart": "multipart, parts through the edge",
  "direct-multipart": "multipart, parts straight to the store",
};

export function keyFor(session, name) {
  return session.scope.kind === "exact" ? session.scope.value : session.scope.value + name;
}

function isSameOrigin(url) {
  try { return new URL(url, location.href).origin === location.origin; } catch { return false; }
}

// ---------------------------------------------------------------------------------------------
// An upload: one file, one method; observable state for the UI.

export class Upload {
  /**
   * @param {File} file
   * @param {object} opts { session, method, resume?: pending entry, onChange }
   */
  constructor(file, { session, method, resume = null, onChange = () => {} }) {
    this.file = file;
    this.session = session;
    this.method = resume ? `${resume.route}-multipart` : method;
    this.resume = resume;
    this.onChange = onChange;
    this.state = "queued"; // queued | uploading | completing | done | failed | cancelled
    this.loaded = 0;
    this.total = file.size;
    this.error = null;
    this.key = resume ? resume.key : null;
    this.parts = null; // { total, done } for multipart
    this.samples = [];
    this.controller = null;
  }

  get direct() { return this.method.startsWith("direct-"); }
  get multipart() { return this.method.endsWith("-multipart"); }

  /** Bytes per second over the last few seconds. */
  speed() {
    const s = this.samples;
    if (s.length < 2) return 0;
    const a = s[0], b = s[s.length - 1];
    const dt = (b.t - a.t) / 1000;
    return dt > 0.2 ? (b.loaded - a.loaded) / dt : 0;
  }

  progress(loaded) {
    this.loaded = Math.min(loaded, this.total);
    const now = performance.now();
    this.samples.push({ t: now, loaded: this.loaded });
    while (this.samples.length > 2 && now - this.samples[0].t > 4000) this.samples.shift();
    this.onChange(this);
  }

  set(state, extra = {}) {
    Object.assign(this, extra);
    this.state = state;
    this.onChange(this);
  }

  async start() {
    this.controller = new AbortController();
    const signal = this.controller.signal;
    this.error = null;
    this.samples = [];
    this.set("uploading", { loaded: 0 });
    try {
      const pre = this.precheck();
      if (pre) throw pre;
      let result;
      switch (this.method) {
        case "edge-put": result = await this.edgePut(signal); break;
        case "direct-put": result = await this.directPut(signal); break;
        case "direct-post": result = await this.directPost(signal); break;
        default: result = await this.runMultipart(signal, this.method.startsWith("edge-"));
      }
      this.progress(this.total);
      this.set("done", { result });
    } catch (e) {
      if (e && e.name === "AbortError") this.set("cancelled");
      else this.set("failed", { error: e });
    }
  }

  /** Checks the page can make without asking (the server checks again). */
  precheck() {
    const s = this.session;
    // Expiry is left to the server: this machine's clock may be off.
    const limits = [s.max_bytes, s.max_upload_bytes].filter((x) => typeof x === "number");
    if (limits.length && this.file.size > Math.min(...limits)) return new ApiError({ status: 400, code: "EntityTooLarge", message: "too large" });
    const types = s.content_types || [];
    if (types.length) {
      const t = this.file.type || "application/octet-stream";
      const ok = types.some((p) => p === t || (p.endsWith("/*") && t.startsWith(p.slice(0, -1))) || (p.endsWith("/") && t.startsWith(p)));
      if (!ok) return new ApiError({ status: 400, code: "InvalidArgument", message: "content type not allowed" });
    }
    return null;
  }

  cancel() {
    if (this.controller) this.controller.abort();
    if (this.uploadId && this.key) {
      // An explicit cancel abandons the upload: free its parts in the store.
      const id = this.uploadId, key = this.key;
      dropPending(id);
      api(`/s3/multipart/${encodeURIComponent(id)}?${new URLSearchParams({ key })}`, { method: "DELETE" }).catch(() => {});
      this.uploadId = null;
    }
    if (this.state === "queued") this.set("cancelled");
  }

  contentType() {
    return this.file.type || "application/octet-stream";
  }

  async edgePut(signal) {
    this.key = keyFor(this.session, this.file.name);
    const xhr = await send({
      method: "PUT",
      url: `/${encodeURIComponent(this.session.bucket)}/${keyPath(this.key)}`,
      headers: { ...authHeaders(), "Content-Type": this.contentType() },
      body: this.file,
      onProgress: (n) => this.progress(n),
      signal,
    });
    return { key: this.key, etag: etagOf(xhr) };
  }

  async directPut(signal) {
    const key = keyFor(this.session, this.file.name);
    const p = await api("/api/presign", { method: "POST", body: { key, content_type: this.contentType(), size: this.file.size, method: "PUT" }, signal });
    this.key = p.key || key;
    const headers = { ...(p.headers || {}) };
    // Send exactly the signed headers: a Blob's own type would add a Content-Type header.
    const ct = Object.entries(headers).find(([k]) => k.toLowerCase() === "content-type");
    const body = this.file.slice(0, this.file.size, ct ? ct[1] : "");
    const xhr = await send({ method: "PUT", url: p.url, headers, body, onProgress: (n) => this.progress(n), signal });
    return { key: this.key, etag: etagOf(xhr) };
  }

  async directPost(signal) {
    const key = keyFor(this.session, this.file.name);
    const p = await api("/api/presign", { method: "POST", body: { key, content_type: this.contentType(), size: this.file.size, method: "POST" }, signal });
    this.key = p.key || key;
    const form = new FormData();
    for (const [k, v] of Object.entries(p.fields || {})) form.append(k, v);
    form.append("file", this.file, this.file.name);
    // Progress counts the whole form; the file is nearly all of it.
    const xhr = await send({ method: "POST", url: p.url, body: form, onProgress: (n) => this.progress(Math.min(n, this.total)), signal });
    return { key: this.key, etag: etagOf(xhr) };
  }

  async runMultipart(signal, viaEdge) {
    const file = this.file;
    let partSize = this.session.part_size;
    let done = new Map(); // partNumber -> { etag, size }
    if (this.resume || this.uploadId) {
      const r = this.resume || { uploadId: this.uploadId, key: this.key, partSize: this.partSize };
      this.uploadId = r.uploadId;
      this.key = r.key;
      partSize = r.partSize || partSize;
      const listed = await listedParts(this.session, { uploadId: this.uploadId, key: this.key }, signal);
      for (const p of listed) done.set(Number(p.PartNumber), { etag: p.ETag, size: Number(p.Size) });
    } else {
      const c = await api("/s3/multipart", { method: "POST", body: { filename: file.name, type: this.contentType(), metadata: {} }, signal });
      this.uploadId = c.uploadId;
      this.key = c.key;
      savePending({
        bucket: this.session.bucket, uploadId: c.uploadId, key: c.key, name: file.name, size: file.size,
        lastModified: file.lastModified, type: file.type, route: viaEdge ? "edge" : "direct", partSize, created: Date.now(),
      });
    }
    this.partSize = partSize;
    const count = Math.max(1, Math.ceil(file.size / partSize));
    const sizeOf = (n) => Math.min(partSize, file.size - (n - 1) * partSize);
    // A listed part counts only if its size matches this file's part (else upload it again).
    for (const [n, p] of done) if (n > count || (p.size && p.size !== sizeOf(n))) done.delete(n);
    const missing = [];
    for (let n = 1; n <= count; n++) if (!done.has(n)) missing.push(n);
    this.parts = { total: count, done: done.size, resumed: done.size };
    const inflight = new Map();
    const doneBytes = () => { let b = 0; for (const n of done.keys()) b += sizeOf(n); return b; };
    const report = () => { let b = doneBytes(); for (const v of inflight.values()) b += v; this.progress(b); };
    report();

    const q = new URLSearchParams({ key: this.key });
    if (viaEdge) q.set("via", "edge");
    const worker = async () => {
      while (missing.length) {
        if (signal.aborted) throw abortError();
        const n = missing.shift();
        // the part's size is signed into a direct part URL (the store refuses any other length)
        const pq = new URLSearchParams(q);
        pq.set("size", String(sizeOf(n)));
        const { url, headers: signedHeaders } = await api(`/s3/multipart/${encodeURIComponent(this.uploadId)}/${n}?${pq}`, { signal });
        const start = (n - 1) * partSize;
        const body = file.slice(start, start + sizeOf(n), "");
        const headers = { ...(signedHeaders || {}), ...(isSameOrigin(url) && !/[?&](token|X-Amz-Signature|Signature)=/i.test(url) ? authHeaders() : {}) };
        delete headers["content-length"]; // the browser sets it from the body
        inflight.set(n, 0);
        try {
          const xhr = await send({ method: "PUT", url, headers, body, signal, onProgress: (b) => { inflight.set(n, b); report(); } });
          done.set(n, { etag: etagOf(xhr), size: sizeOf(n) });
          rememberPart(this.uploadId, n, etagOf(xhr), sizeOf(n));
        } finally {
          inflight.delete(n);
        }
        this.parts.done = done.size;
        report();
      }
    };
    const workers = [];
    for (let i = 0; i < Math.min(PARALLEL_PARTS, missing.length); i++) workers.push(worker());
    try {
      await Promise.all(workers);
    } catch (e) {
      this.controller.abort(); // stop the other parts; the upload stays resumable
      throw e;
    }

    // A store that does not expose ETag to the page: ask for the parts' ETags instead.
    if ([...done.values()].some((p) => !p.etag)) {
      const listed = await listedParts(this.session, { uploadId: this.uploadId, key: this.key }, signal);
      for (const p of listed) if (done.has(Number(p.PartNumber))) done.get(Number(p.PartNumber)).etag = p.ETag;
    }
    this.set("completing");
    const parts = [...done.entries()].sort((a, b) => a[0] - b[0]).map(([PartNumber, p]) => ({ PartNumber, ETag: p.etag }));
    const r = await api(`/s3/multipart/${encodeURIComponent(this.uploadId)}/complete?${new URLSearchParams({ key: this.key })}`, { method: "POST", body: { parts }, signal });
    dropPending(this.uploadId);
    this.uploadId = null;
    this.resume = null;
    return { key: r.key || this.key, etag: r.etag, location: r.location };
  }
}
