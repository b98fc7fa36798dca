// api.js: the grantd API from this origin, with the signed-in token.
import { token } from './auth.js';

// A problem from the API (RFC 9457): status, its stable code, the English detail.
export class ApiError extends Error {
  constructor(status, code, detail, body) {
    super(detail || code);
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.body = body;
  }
}

function url(path, params) {
  const u = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, v);
  }
  return u.pathname + u.search;
}

// GET path; the parsed JSON, or the text when asText.  Throws ApiError.
export async function get(path, params, { asText = false, secret } = {}) {
  const t = secret || token();
  const headers = { Accept: asText ? 'text/csv, application/json' : 'application/json' };
  if (t) headers.Authorization = `Bearer ${t}`;
  let r;
  try {
    r = await fetch(url(path, params), { headers, credentials: 'omit', cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, 'network', String(e));
  }
  const text = await r.text();
  if (!r.ok) {
    let p = null;
    try {
      p = JSON.parse(text);
    } catch {
      /* not a problem document */
    }
    throw new ApiError(r.status, (p && p.code) || `http_${r.status}`, (p && p.detail) || text, p);
  }
  if (asText) return text;
  return text ? JSON.parse(text) : null;
}

// Every item of a list, following `next` (at most max items).
export async function all(path, params, max = 10000) {
  const items = [];
  let after;
  for (;;) {
    const page = await get(path, { ...params, limit: 1000, after });
    items.push(...page.items);
    if (!page.next || items.length >= max) return items;
    after = page.next;
  }
}
