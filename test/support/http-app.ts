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
  const router: TaskerRouter = tasker({
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    worker: false,
    auth: false,
    ...options,
    databaseUrl: db.url,
  });
  const app = express();
  app.get('/host/ping', (_req, res) => {
    res.json({ pong: true });
  });
  app.use('/tasker', router);
  return { app, router };
}
