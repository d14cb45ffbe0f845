/** A small client for the service's own HTTP API (used by the demo and batch scripts). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}: ${JSON.stringify(body)}`);
  }
}

export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly key?: string,
  ) {}

  // biome-ignore lint/suspicious/noExplicitAny: a JSON answer, typed by the caller where it matters
  async request<T = any>(method: string, pathname: string, body?: unknown): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = {};
    if (this.key) headers.Authorization = `Bearer ${this.key}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(this.baseUrl + pathname, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const parsed = text ? JSON.parse(text) : undefined;
    if (res.status >= 400) throw new ApiError(res.status, parsed);
    return { status: res.status, body: parsed as T };
  }

  // biome-ignore lint/suspicious/noExplicitAny: a JSON answer, typed by the caller where it matters
  get<T = any>(pathname: string) {
    return this.request<T>('GET', pathname).then((r) => r.body);
  }

  // biome-ignore lint/suspicious/noExplicitAny: a JSON answer, typed by the caller where it matters
  post<T = any>(pathname: string, body: unknown) {
    return this.request<T>('POST', pathname, body).then((r) => r.body);
  }
}
