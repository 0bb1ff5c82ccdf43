import net from 'node:net';
import express from 'express';
import jwt from 'jsonwebtoken';
import pino from 'pino';
import { jwtAuthenticator } from '../../src/auth/authenticator';
import { tasker, type TaskerRouter, type TaskerRouterOptions } from '../../src/router';
import type { TestDatabase } from './database';

export const JWT_SECRET = 'a-test-secret-that-is-at-least-32-bytes-long!';
export const JWT_OPTIONS = { issuer: 'tasker-test', audience: 'tasker-api' };

/** A signed HS256 token with the given claims (valid for an hour unless `exp` is given). */
export function token(claims: Record<string, unknown> = {}, secret = JWT_SECRET): string {
  return jwt.sign({ sub: 'user-1', ...claims }, secret, {
    algorithm: 'HS256',
    expiresIn: '1h',
    ...JWT_OPTIONS,
  });
}

export const authenticated = {
  authenticator: jwtAuthenticator({ secret: JWT_SECRET, algorithms: ['HS256'], ...JWT_OPTIONS }),
};

/** A host application with Tasker mounted at /tasker (and a route of its own beside it). */
export function hostApp(db: TestDatabase, options: Omit<TaskerRouterOptions, 'databaseUrl'> = {}) {
  const router: TaskerRouter = testRouter(db, options);
  const app = express();
  app.get('/host/ping', (_req, res) => {
    res.json({ pong: true });
  });
  app.use('/tasker', router);
  return { app, router };
}

/** A token signed with `jwt.sign` options of the caller's choosing (for expired, wrong-issuer… tokens). */
export function signedToken(
  claims: Record<string, unknown>,
  options: jwt.SignOptions = {},
  secret = JWT_SECRET,
): string {
  return jwt.sign({ sub: 'user-1', ...claims }, secret, {
    algorithm: 'HS256',
    expiresIn: '1h',
    ...JWT_OPTIONS,
    ...options,
  });
}

/** A token that has expired an hour ago (its signature, issuer and audience are fine). */
export function expiredToken(claims: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000);
  return jwt.sign({ sub: 'user-1', iat: now - 7200, exp: now - 3600, ...claims }, JWT_SECRET, {
    algorithm: 'HS256',
    ...JWT_OPTIONS,
  });
}

/** An unsigned token (`alg: none`) with a valid-looking payload and an empty signature. */
export function unsignedToken(claims: Record<string, unknown> = {}): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    sub: 'user-1',
    iat: now,
    exp: now + 3600,
    iss: JWT_OPTIONS.issuer,
    aud: JWT_OPTIONS.audience,
  };
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ ...payload, ...claims })}.`;
}

export interface RegisteredRoute {
  method: string;
  /** The Express path, e.g. `/tasks/:id`. */
  path: string;
}

interface StackLayer {
  route?: { path: string; methods: Record<string, boolean> };
  rawPath?: unknown;
  handle?: { stack?: StackLayer[] };
}

/** Every method + path registered on an Express router, nested routers included (Express 5 layout). */
export function registeredRoutes(router: { stack: unknown[] }, prefix = ''): RegisteredRoute[] {
  return (router.stack as StackLayer[]).flatMap((layer) => {
    if (layer.route) {
      return Object.keys(layer.route.methods)
        .filter((method) => method !== '_all')
        .map((method) => ({ method: method.toUpperCase(), path: `${prefix}${layer.route?.path}` }));
    }
    const nested = layer.handle?.stack;
    if (!nested) return [];
    const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
    return registeredRoutes({ stack: nested }, `${prefix}${mount}`);
  });
}

/** `/tasks/:task_id/workflow_steps/:id` → `/tasks/{task_id}/workflow_steps/{id}`. */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:(\w+)/g, '{$1}');
}

/** A PostgreSQL URL on a local port where nothing listens, so connecting fails at once. */
export async function unreachableDatabaseUrl(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `postgres://tasker@127.0.0.1:${port}/nowhere`;
}

/** A Tasker router on a test database with a silent logger and no workers (not mounted anywhere). */
export function testRouter(db: TestDatabase, options: Omit<TaskerRouterOptions, 'databaseUrl'> = {}) {
  return tasker({
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    worker: false,
    auth: false,
    ...options,
    databaseUrl: db.url,
  });
}
