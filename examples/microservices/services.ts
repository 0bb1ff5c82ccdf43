import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JsonObject, JsonValue } from '../../src';
import { FaultQueue } from '../support/faults';

/**
 * The four services of a user registration, as small real HTTP servers (node:http) on free local
 * ports: users, billing, preferences and notifications. They keep their records in memory, log every
 * request, and answer injected failures (a 503 with Retry-After, a 500, a 400…) so the example can
 * show what the workflow does when one of them misbehaves.
 */

export interface ServiceResponse {
  status: number;
  body?: JsonValue;
  /** Seconds (or an HTTP date) for the Retry-After header. */
  retryAfter?: number | string;
}

export interface RecordedRequest {
  route: string;
  method: string;
  path: string;
  body: JsonObject | null;
  correlationId: string | null;
  status: number;
  receivedAt: number;
}

interface IncomingCall {
  params: Record<string, string>;
  query: URLSearchParams;
  body: JsonObject | null;
}

interface Route {
  /** `METHOD /path/:param`, also the key to inject failures with. */
  name: string;
  method: string;
  pattern: RegExp;
  paramNames: string[];
  handle(call: IncomingCall): ServiceResponse;
}

function route(name: string, handle: (call: IncomingCall) => ServiceResponse): Route {
  const [method, path] = name.split(' ');
  const paramNames: string[] = [];
  const source = path.replace(/:(\w+)/g, (_match, param: string) => {
    paramNames.push(param);
    return '([^/]+)';
  });
  return { name, method, pattern: new RegExp(`^${source}$`), paramNames, handle };
}

const MAX_BODY_BYTES = 64 * 1024;

/** One HTTP service: its routes, a request log, and failures queued per route. */
export class HttpService {
  readonly requests: RecordedRequest[] = [];
  private readonly faults = new Map<string, FaultQueue<ServiceResponse>>();
  private server: http.Server | undefined;
  private address: string | undefined;

  constructor(
    readonly name: string,
    private readonly routes: readonly Route[],
  ) {}

  get url(): string {
    if (!this.address) throw new Error(`The ${this.name} service is not started`);
    return this.address;
  }

  /** The next `times` requests to `routeName` (e.g. `'POST /users'`) get `response` instead. */
  inject(routeName: string, response: ServiceResponse, times = 1): void {
    if (!this.routes.some((r) => r.name === routeName))
      throw new Error(`${this.name} has no route ${routeName}`);
    let queue = this.faults.get(routeName);
    if (!queue) this.faults.set(routeName, (queue = new FaultQueue<ServiceResponse>()));
    queue.inject(response, times);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  requestsTo(routeName: string): RecordedRequest[] {
    return this.requests.filter((request) => request.route === routeName);
  }

  async start(port = 0, host = '127.0.0.1'): Promise<void> {
    const server = http.createServer((req, res) => void this.serve(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    this.address = `http://${host}:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = this.match(req.method ?? 'GET', url.pathname);
    let body: JsonObject | null = null;
    let response: ServiceResponse;
    try {
      body = await readJsonBody(req);
      response = match
        ? (this.faults.get(match.route.name)?.take() ??
          match.route.handle({ params: match.params, query: url.searchParams, body }))
        : { status: 404, body: { error: 'not_found' } };
    } catch (error) {
      response = { status: 400, body: { error: 'bad_request', message: (error as Error).message } };
    }
    this.requests.push({
      route: match?.route.name ?? `${req.method} ${url.pathname}`,
      method: req.method ?? 'GET',
      path: url.pathname,
      body,
      correlationId: headerOf(req, 'x-correlation-id'),
      status: response.status,
      receivedAt: performance.now(),
    });
    send(res, response);
  }

  private match(method: string, path: string): { route: Route; params: Record<string, string> } | undefined {
    for (const candidate of this.routes) {
      const found = candidate.method === method ? candidate.pattern.exec(path) : null;
      if (found) {
        const params = Object.fromEntries(candidate.paramNames.map((name, i) => [name, found[i + 1]]));
        return { route: candidate, params };
      }
    }
    return undefined;
  }
}

function headerOf(req: http.IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

async function readJsonBody(req: http.IncomingMessage): Promise<JsonObject | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error('body too large');
    chunks.push(chunk);
  }
  if (size === 0) return null;
  const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error('expected a JSON object');
  return parsed as JsonObject;
}

function send(res: http.ServerResponse, response: ServiceResponse): void {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (response.retryAfter !== undefined) headers['retry-after'] = String(response.retryAfter);
  res.writeHead(response.status, headers);
  res.end(response.body === undefined ? '' : JSON.stringify(response.body));
}

function id(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

const text = (value: JsonValue | undefined): string | undefined =>
  typeof value === 'string' ? value : undefined;

/** Users by email; a second create for the same email is a 409. */
export function userService(): HttpService {
  const users = new Map<string, JsonObject>();
  const byId = (userId: string) => [...users.values()].find((user) => user.id === userId);
  return new HttpService('users', [
    route('POST /users', ({ body }) => {
      const email = text(body?.email);
      const name = text(body?.name);
      if (!email || !name) return { status: 422, body: { error: 'email and name are required' } };
      if (users.has(email)) return { status: 409, body: { error: 'user_exists', email } };
      const user: JsonObject = {
        id: id('usr'),
        email,
        name,
        plan: text(body?.plan) ?? 'free',
        status: 'pending',
        created_at: new Date().toISOString(),
      };
      users.set(email, user);
      return { status: 201, body: user };
    }),
    route('GET /users', ({ query }) => {
      const user = users.get(query.get('email') ?? '');
      return { status: 200, body: { users: user ? [user] : [] } };
    }),
    route('PUT /users/:id/status', ({ params, body }) => {
      const user = byId(params.id);
      if (!user) return { status: 404, body: { error: 'user_not_found' } };
      user.status = text(body?.status) ?? 'unknown';
      user.registration = body?.completion ?? null;
      return { status: 200, body: user };
    }),
  ]);
}

/** One billing profile per user; a second create is a 409 that carries the existing profile. */
export function billingService(): HttpService {
  const profiles = new Map<string, JsonObject>();
  return new HttpService('billing', [
    route('POST /billing_profiles', ({ body }) => {
      const userId = text(body?.user_id);
      if (!userId) return { status: 400, body: { error: 'user_id is required' } };
      const existing = profiles.get(userId);
      if (existing) return { status: 409, body: { error: 'profile_exists', profile: existing } };
      const profile: JsonObject = {
        id: id('bill'),
        user_id: userId,
        plan: text(body?.plan) ?? 'free',
        payment_method: body?.payment_method ?? null,
        status: 'active',
      };
      profiles.set(userId, profile);
      return { status: 201, body: profile };
    }),
  ]);
}

export function preferencesService(): HttpService {
  const preferences = new Map<string, JsonObject>();
  return new HttpService('preferences', [
    route('POST /preferences', ({ body }) => {
      const userId = text(body?.user_id);
      if (!userId) return { status: 400, body: { error: 'user_id is required' } };
      const existing = preferences.get(userId);
      if (existing) return { status: 409, body: { error: 'preferences_exist', preferences: existing } };
      const created: JsonObject = { id: id('pref'), ...body, user_id: userId };
      preferences.set(userId, created);
      return { status: 201, body: created };
    }),
  ]);
}

export function notificationService(): HttpService {
  return new HttpService('notifications', [
    route('POST /welcome_sequences', ({ body }): ServiceResponse => {
      if (!text(body?.email)) return { status: 422, body: { error: 'email is required' } };
      const steps = Array.isArray(body?.onboarding_steps) ? body.onboarding_steps.length : 0;
      return { status: 201, body: { id: id('seq'), emails_scheduled: steps, status: 'scheduled' } };
    }),
  ]);
}

/** The four services, started together. */
export class Microservices {
  readonly users = userService();
  readonly billing = billingService();
  readonly preferences = preferencesService();
  readonly notifications = notificationService();

  get all(): HttpService[] {
    return [this.users, this.billing, this.preferences, this.notifications];
  }

  async start(): Promise<this> {
    await Promise.all(this.all.map((service) => service.start()));
    return this;
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((service) => service.close()));
  }

  /** Values for the `${…_SERVICE_URL}` references in user_registration.yaml. */
  urls(): Record<string, string> {
    return {
      USER_SERVICE_URL: this.users.url,
      BILLING_SERVICE_URL: this.billing.url,
      PREFERENCES_SERVICE_URL: this.preferences.url,
      NOTIFICATION_SERVICE_URL: this.notifications.url,
    };
  }
}
