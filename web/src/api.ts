// Talking to the broker's HTTP API: JSON requests with the token (when the broker needs one) and EventSource
// streams (which cannot send headers, so the token rides in the query).
import type { ApiErrorBody } from './types';

const TOKEN_KEY = 'glassmq.token';

/** The token from ?token= (kept for this tab), or the one kept earlier. */
function initialToken(): string | null {
  const params = new URLSearchParams(location.search);
  const given = params.get('token');
  if (given) {
    sessionStorage.setItem(TOKEN_KEY, given);
    // keep the token out of the address bar (and out of screenshots and history)
    params.delete('token');
    const rest = params.toString();
    history.replaceState(null, '', `${location.pathname}${rest ? `?${rest}` : ''}${location.hash}`);
    return given;
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

let token = initialToken();

export function setToken(value: string): void {
  token = value;
  sessionStorage.setItem(TOKEN_KEY, value);
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  if (token) headers.set('Authorization', `Bearer ${token}`);
  if (init.body) headers.set('Content-Type', 'application/json');
  const res = await fetch(path, { ...init, headers });
  const text = await res.text();
  const body = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) {
    const err = (body as ApiErrorBody | undefined)?.error;
    throw new ApiError(res.status, err?.code ?? 'HTTP_ERROR', err?.message ?? `${res.status} ${res.statusText}`);
  }
  return body as T;
}

export function streamUrl(path: string, params: Record<string, string | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, v);
  if (token) q.set('token', token);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}
