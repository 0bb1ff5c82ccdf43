import { readFile } from 'node:fs/promises';
import path from 'node:path';
import express, { type Router } from 'express';
import { PACKAGE_ROOT } from '../db/migrator';

/** The checked-in OpenAPI 3.1 document of every route this router serves. */
export const OPENAPI_DOCUMENT_PATH = path.join(PACKAGE_ROOT, 'openapi', 'openapi.json');

/**
 * `GET /openapi.json`: public and independent of the engine, so it is mounted before the ready gate.
 * The file is read once per router, on the first request.
 */
export function openApiRoutes(): Router {
  let document: Promise<string> | undefined;
  const router = express.Router();

  router.get('/openapi.json', async (_req, res) => {
    document ??= readFile(OPENAPI_DOCUMENT_PATH, 'utf8');
    res.type('application/json').send(await document);
  });

  return router;
}
