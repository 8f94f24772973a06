// bagroom's JSON API, error decoding and plain-language messages, formatting helpers.

export const token = new URLSearchParams(location.search).get("token") || "";

export function authHeaders() {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/** An error from bagroom or the store, decoded from a JSON or S3 XML body. */
export class ApiError extends Error {
  constructor({ status = 0, code = "", message = "" }) {
    super(message || code || `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.code = code || "";
    this.detail = message || "";
  }
}

export function errorFrom(status, text) {
  let code = "", message = "";
  if (text) {
    try {
      const j = JSON.parse(text);
      code = (j.error && j.error.code) || j.code || "";
      message = (j.error && j.error.message) || j.message || "";
    } catch {
      const c = /<Code>([^<]*)<\/Code>/.exec(text);
      const m = /<Message>([^<]*)<\/Message>/.exec(text);
      code = c ? c[1] : "";
      message = m ? m[1] : "";
    }
  }
  return new ApiError({ status, code, message });
}

/** fetch() a bagroom JSON route with the page's token. */
export async function api(path, { method = "GET", body, signal } = {}) {
  const headers = { ...authHeaders(), Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let r;
  try {
    r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal, cache: "no-store" });
  } catch (e) {
    if (e && e.name === "AbortError") throw e;
    throw new ApiError({ status: 0, code: "NetworkError", message: "network error" });
  }
  const text = await r.text();
  if (!r.ok) throw errorFrom(r.status, text);
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError({ status: r.status, code: "BadResponse", message: "the server sent something that is not JSON" });
  }
}

/** Could the same file succeed if tried again under this link? Not when it is refused for what
 *  it is (too large, a type the link does not allow, outside the link's scope): the page then
 *  offers no Retry. (An expired link keeps it: the page may get a new one.) */
export function retryable(err) {
  if (!(err instanceof ApiError)) return true;
  const code = err.code, msg = err.detail || "", status = err.status;
  if (code === "EntityTooLarge" || status === 413 || /too large|max.?bytes|content-length-range/i.test(msg)) return false;
  if (/content.?type|file type|media type/i.test(msg) || code === "InvalidContentType") return false;
  if ((code === "AccessDenied" || status === 403) && /scope|not allowed|method/i.test(msg)) return false;
  return true;
}

/**
 * What went wrong, in words a person can act on. `ctx`: { session, direct, file }.
 * Never a stack trace; the server's own message only when nothing better fits.
 */
export function plainMessage(err, ctx = {}) {
  const s = ctx.session || {};
  if (!(err instanceof ApiError)) {
    return `Something went wrong in this page: ${err && err.message ? err.message : String(err)}.`;
  }
  const code = err.code, msg = err.detail || "", status = err.status;
  if (code === "ExpiredToken" || /expired/i.test(msg) && /token|link/i.test(msg) || code === "TokenExpired") {
    return "Your access link has expired. Ask whoever sent it for a new one, then open the new link.";
  }
  if (code === "EntityTooLarge" || status === 413 || /too large|max.?bytes|content-length-range/i.test(msg)) {
    const caps = [s.max_bytes, s.max_upload_bytes].filter((x) => typeof x === "number");
    const lim = caps.length ? ` The limit is ${fmtBytes(Math.min(...caps))}.` : "";
    return `This file is too large.${lim}`;
  }
  if (/content.?type|file type|media type/i.test(msg) || code === "InvalidContentType") {
    const allowed = (s.content_types || []).length ? ` Allowed: ${s.content_types.join(", ")}.` : "";
    return `This type of file is not allowed here.${allowed}`;
  }
  if (code === "PreconditionFailed" || /overwrit|already exists/i.test(msg)) {
    return "A file with this name already exists, and this link does not allow replacing files. Rename the file and try again.";
  }
  if (code === "NoSuchUpload") {
    return "The store no longer has this unfinished upload (it may have been cleaned up). Start the upload again.";
  }
  if (code === "SignatureDoesNotMatch" || code === "AccessDenied" && ctx.direct && /expired|signature|request/i.test(msg)) {
    return "The store refused the signed upload URL (it may have expired). Retry to get a fresh one.";
  }
  if (code === "AccessDenied" || status === 403 || status === 401) {
    if (/scope|not allowed|method/i.test(msg)) return "This link does not allow that (it only covers certain files or actions).";
    if (/revoked/i.test(msg)) return "This access link has been revoked. Ask for a new one.";
    return "Access was refused. Your link may be invalid or not allow this.";
  }
  if (status === 0 || code === "NetworkError") {
    return ctx.direct
      ? "Could not reach the storage server. It may be down or refusing this page. Try again, or send the file through the edge."
      : "Could not reach bagroom. Check your connection and try again.";
  }
  if (status >= 500 || ["ServiceUnavailable", "SlowDown", "InternalError", "BadGateway", "GatewayTimeout", "StoreUnavailable"].includes(code)) {
    return "The storage service is not responding right now. Try again in a moment.";
  }
  if (status === 404) return "Not found. The file or upload may have been removed.";
  return `The upload failed: ${msg || code || `HTTP ${status}`}.`;
}

export function fmtBytes(n) {
  if (n == null || !isFinite(n)) return "–";
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n, i = -1;
  do { v /= 1024; i++; } while (v >= 1024 && i < units.length - 1);
  return `${v >= 100 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

export function fmtDuration(s) {
  if (!isFinite(s) || s < 0) return "–";
  s = Math.ceil(s);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

export function fmtDate(d) {
  const date = d instanceof Date ? d : new Date(d);
  if (isNaN(date)) return "–";
  return date.toLocaleString(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

/** A key as a URL path: every segment percent-encoded, the slashes kept. */
/** Does the key have a `.` or `..` segment (as the gateway counts them: `/` or `\` between,
 *  `%2e` a dot)? No URL path can name such a key: the URL parser resolves the segment (also
 *  encoded as `%2E%2E`) and the request would name another key. The gateway refuses them. */
export function hasDotSegment(key) {
  return key.split(/[\/\\]/).some((seg) => {
    const s = seg.toLowerCase().replaceAll("%2e", ".");
    return s === "." || s === "..";
  });
}

export function keyPath(key) {
  if (hasDotSegment(key)) throw new ApiError({ status: 400, code: "InvalidArgument", message: "a key with . or .. segments cannot be reached through a URL" });
  return key.split("/").map(encodeURIComponent).join("/");
}

const TYPES = {
  txt: "text/plain", md: "text/markdown", csv: "text/csv", json: "application/json", xml: "application/xml",
  html: "text/html", htm: "text/html", css: "text/css", js: "text/javascript", mjs: "text/javascript", log: "text/plain",
  yaml: "application/yaml", yml: "application/yaml", toml: "application/toml",
  png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", gif: "image/gif", webp: "image/webp", svg: "image/svg+xml",
  avif: "image/avif", ico: "image/x-icon", bmp: "image/bmp",
  pdf: "application/pdf", zip: "application/zip", gz: "application/gzip", tar: "application/x-tar",
  mp4: "video/mp4", webm: "video/webm", mov: "video/quicktime", mp3: "audio/mpeg", wav: "audio/wav", ogg: "audio/ogg",
  bin: "application/octet-stream",
};

/** A type from the name's extension (listings carry no content type). */
export function typeOf(name) {
  const m = /\.([A-Za-z0-9]+)$/.exec(name);
  return (m && TYPES[m[1].toLowerCase()]) || "";
}

export function previewKind(type) {
  if (/^image\/(png|jpeg|gif|webp|avif|bmp|x-icon)$/.test(type)) return "image";
  if (/^text\/|^application\/(json|xml|yaml|toml)$/.test(type)) return "text";
  return "";
}
