import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiStepHandler, type ApiOutcome, type ApiResponse } from '../../../src/handlers/api-step-handler';
import type { HttpClient } from '../../../src/handlers/http-client';
import {
  classifyStepError,
  PermanentError,
  RetryableError,
  StepCancelledError,
} from '../../../src/handlers/step-errors';
import type { StepContext } from '../../../src/handlers/step-handler';
import type { JsonObject } from '../../../src/registry/types';
import { stepContext } from './step-context';

type Call = (http: HttpClient, ctx: StepContext) => Promise<ApiResponse | Response>;

class CallService extends ApiStepHandler {
  constructor(private readonly send: Call) {
    super();
  }

  call(ctx: StepContext, http: HttpClient): Promise<ApiResponse | Response> {
    return this.send(http, ctx);
  }
}

/** Creating an order twice is harmless: the service answers 409 and the step still succeeds. */
class CreateOrder extends ApiStepHandler {
  call(_ctx: StepContext, http: HttpClient): Promise<Response> {
    return http.post('status/409', { sku: 'A-1' });
  }

  protected override classify(response: ApiResponse): ApiOutcome {
    if (response.status === 409) return { outcome: 'success' };
    return super.classify(response);
  }
}

interface ReceivedRequest {
  request: IncomingMessage;
  closed: Promise<unknown>;
}

/**
 * A service whose answer is chosen by the path: `/status/<code>` (with `retry-after` and `body`
 * query params), `/echo` (the request as JSON), `/text`, `/hang` (never answers).
 */
function route(request: IncomingMessage, response: ServerResponse, body: string): void {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const status = /^\/status\/(\d{3})$/.exec(url.pathname);
  if (status) {
    const retryAfter = url.searchParams.get('retry-after');
    if (retryAfter !== null) response.setHeader('Retry-After', retryAfter);
    const text = url.searchParams.get('body') ?? JSON.stringify({ status: Number(status[1]) });
    if (status[1] === '204') return void response.writeHead(204).end();
    response.writeHead(Number(status[1]), { 'content-type': 'application/json; charset=utf-8' }).end(text);
    return;
  }
  if (url.pathname === '/echo') {
    const echoed = { method: request.method, url: request.url, headers: request.headers, body };
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(echoed));
    return;
  }
  if (url.pathname === '/text') {
    response.writeHead(200, { 'content-type': 'text/plain', 'x-request-id': 'r-1' }).end('plain words');
    return;
  }
  if (url.pathname !== '/hang') response.writeHead(404).end();
}

describe('ApiStepHandler', () => {
  let server: Server;
  let baseUrl: string;
  const hanging: ReceivedRequest[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      if (request.url?.startsWith('/hang')) {
        hanging.push({ request, closed: once(response, 'close') });
        return;
      }
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => route(request, response, Buffer.concat(chunks).toString('utf8')));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });

  function config(extra: JsonObject = {}): JsonObject {
    return { url: baseUrl, ...extra };
  }

  async function failureOf(promise: Promise<unknown>): Promise<unknown> {
    try {
      await promise;
    } catch (error) {
      return error;
    }
    throw new Error('expected the step to fail');
  }

  describe('on success', () => {
    it('returns status, headers and the parsed JSON body as the step results', async () => {
      const handler = new CallService((http) => http.get('/status/200'));
      const results = await handler.process(stepContext(config()));
      expect(results).toMatchObject({
        status: 200,
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: { status: 200 },
      });
    });

    it('accepts any 2xx, including 201 Created and an empty 204', async () => {
      await expect(
        new CallService((http) => http.post('status/201', {})).process(stepContext(config())),
      ).resolves.toMatchObject({
        status: 201,
        body: { status: 201 },
      });
      await expect(
        new CallService((http) => http.delete('status/204')).process(stepContext(config())),
      ).resolves.toMatchObject({
        status: 204,
        body: null,
      });
    });

    it('keeps a body that is not JSON as text', async () => {
      const results = await new CallService((http) => http.get('text')).process(stepContext(config()));
      expect(results).toMatchObject({ status: 200, headers: { 'x-request-id': 'r-1' }, body: 'plain words' });
    });

    it('lets a subclass treat 409 Conflict as success', async () => {
      await expect(new CreateOrder().process(stepContext(config()))).resolves.toMatchObject({ status: 409 });
    });

    it('accepts an ApiResponse object instead of a fetch Response', async () => {
      const handler = new CallService(async () => ({
        status: 200,
        headers: { 'X-Id': '7' },
        body: { ok: true },
      }));
      await expect(handler.process(stepContext())).resolves.toEqual({
        status: 200,
        headers: { 'x-id': '7' },
        body: { ok: true },
      });
    });
  });

  describe('the request', () => {
    it('carries the configured headers and query params, the request ones on top, and a JSON body', async () => {
      const handler = new CallService((http) =>
        http.post(
          '/echo',
          { sku: 'A-1', qty: 2 },
          { headers: { 'X-Trace': 't-9' }, query: { page: 2, tag: ['a', 'b'] } },
        ),
      );
      const ctx = stepContext(
        config({
          headers: { Authorization: 'Bearer s3cret', 'X-Trace': 'configured' },
          params: { api_key: 'k', page: 1 },
        }),
      );
      const { body } = (await handler.process(ctx)) as {
        body: { method: string; url: string; headers: Record<string, string>; body: string };
      };
      expect(body.method).toBe('POST');
      const url = new URL(body.url, baseUrl);
      expect(url.pathname).toBe('/echo');
      expect(url.searchParams.get('api_key')).toBe('k');
      expect(url.searchParams.getAll('page')).toEqual(['2']);
      expect(url.searchParams.getAll('tag')).toEqual(['a', 'b']);
      expect(body.headers).toMatchObject({
        authorization: 'Bearer s3cret',
        'x-trace': 't-9',
        accept: 'application/json',
        'content-type': 'application/json',
      });
      expect(JSON.parse(body.body)).toEqual({ sku: 'A-1', qty: 2 });
    });

    it('appends the path to a base URL that has a path of its own', async () => {
      const handler = new CallService((http) => http.get('echo'));
      await expect(handler.process(stepContext({ url: `${baseUrl}/` }))).resolves.toMatchObject({
        status: 200,
      });
      const nested = new CallService((http) => http.get('/204'));
      await expect(nested.process(stepContext({ url: `${baseUrl}/status` }))).resolves.toMatchObject({
        status: 204,
      });
    });

    it('sends no body and no content type for a GET', async () => {
      const results = (await new CallService((http) => http.get('echo')).process(stepContext(config()))) as {
        body: { headers: Record<string, string>; body: string };
      };
      expect(results.body.body).toBe('');
      expect(results.body.headers).not.toHaveProperty('content-type');
    });

    it('is aborted, in flight, when the step signal aborts', async () => {
      const controller = new AbortController();
      const pending = new CallService((http) => http.get('hang')).process(
        stepContext(config(), controller.signal),
      );
      await expect.poll(() => hanging.length).toBeGreaterThan(0);
      const cancelled = new StepCancelledError();
      controller.abort(cancelled);
      await expect(pending).rejects.toBe(cancelled);
      await hanging[0].closed;
    });

    it('times out after the configured timeoutSeconds, retryably', async () => {
      const handler = new CallService((http) => http.get('hang'));
      const error = await failureOf(handler.process(stepContext(config({ timeoutSeconds: 0.2 }))));
      expect(error).toMatchObject({ name: 'TimeoutError' });
      expect(classifyStepError(error).kind).toBe('retryable');
    });

    it('lets a network failure propagate as a retryable error', async () => {
      const handler = new CallService((http) => http.get('/'));
      const error = await failureOf(handler.process(stepContext({ url: 'http://127.0.0.1:1' })));
      expect(error).toBeInstanceOf(TypeError);
      expect(classifyStepError(error).kind).toBe('retryable');
    });
  });

  describe('on failure', () => {
    it('retries a 429 after the seconds in Retry-After', async () => {
      const error = await failureOf(
        new CallService((http) => http.get('status/429?retry-after=30')).process(stepContext(config())),
      );
      expect(error).toBeInstanceOf(RetryableError);
      expect(error).toMatchObject({
        retryAfterSeconds: 30,
        message: 'API call failed with retryable status 429: {"status":429}',
        context: { status: 429, body: '{"status":429}' },
      });
    });

    it('retries a 429 at the HTTP date in Retry-After', async () => {
      const at = new Date(Date.now() + 120_000).toUTCString();
      const handler = new CallService((http) => http.get('status/429', { query: { 'retry-after': at } }));
      const error = (await failureOf(handler.process(stepContext(config())))) as RetryableError;
      expect(error.retryAfterSeconds).toBeGreaterThan(110);
      expect(error.retryAfterSeconds).toBeLessThanOrEqual(120);
    });

    it('retries a 503 without Retry-After on the backoff', async () => {
      const error = await failureOf(
        new CallService((http) => http.get('status/503')).process(stepContext(config())),
      );
      expect(error).toBeInstanceOf(RetryableError);
      expect(error).toMatchObject({ retryAfterSeconds: null });
    });

    it('reads Retry-After from an ApiResponse whatever the header case', async () => {
      const handler = new CallService(async () => ({
        status: 503,
        headers: { 'Retry-After': '5' },
        body: 'busy',
      }));
      const error = await failureOf(handler.process(stepContext()));
      expect(error).toMatchObject({
        retryAfterSeconds: 5,
        message: 'API call failed with retryable status 503: busy',
      });
    });

    it.each([400, 401, 403, 404, 422])('fails permanently on %i', async (status) => {
      const error = await failureOf(
        new CallService((http) => http.get(`status/${status}`)).process(stepContext(config())),
      );
      expect(error).toBeInstanceOf(PermanentError);
      expect(error).toMatchObject({
        errorCode: `HTTP_${status}`,
        message: `API call failed with permanent status ${status}: {"status":${status}}`,
        context: { status, body: `{"status":${status}}` },
      });
      expect(classifyStepError(error)).toMatchObject({ kind: 'permanent', errorCode: `HTTP_${status}` });
    });

    it.each([500, 502, 302, 409])('retries on %i, on the backoff', async (status) => {
      const error = await failureOf(
        new CallService((http) => http.get(`status/${status}`)).process(stepContext(config())),
      );
      expect(error).toBeInstanceOf(RetryableError);
      expect(error).toMatchObject({ retryAfterSeconds: null, context: { status } });
    });

    it('quotes at most 500 characters of the body', async () => {
      const long = 'x'.repeat(2000);
      const handler = new CallService((http) => http.get('status/500', { query: { body: long } }));
      const error = (await failureOf(handler.process(stepContext(config())))) as RetryableError;
      expect(error.context?.body).toBe(`${'x'.repeat(499)}…`);
      expect(error.message).toBe(`API call failed with retryable status 500: ${'x'.repeat(499)}…`);
    });

    it('fails permanently when call returns something that is not a response', async () => {
      const handler = new CallService(async () => ({ ok: true }) as unknown as ApiResponse);
      const error = await failureOf(handler.process(stepContext()));
      expect(error).toBeInstanceOf(PermanentError);
      expect(error).toMatchObject({ errorCode: 'INVALID_API_RESPONSE' });
    });

    it('fails permanently when a relative path has no base url to go with', async () => {
      const error = await failureOf(new CallService((http) => http.get('orders')).process(stepContext()));
      expect(error).toMatchObject({ kind: 'tasker.permanent', errorCode: 'INVALID_HANDLER_CONFIG' });
    });
  });
});
