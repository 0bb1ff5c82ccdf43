import type http from 'node:http';
import type { Duplex } from 'node:stream';
import {
  execute,
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  parse,
  specifiedRules,
  subscribe,
  validate,
  type DocumentNode,
  type ExecutionArgs,
} from 'graphql';
import type { Disposable, SubscribePayload } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { AuthRequest } from '../auth/authenticator';
import { AuthenticationError } from '../auth/errors';
import type { AuthSettings } from '../auth/options';
import type { Principal } from '../auth/principal';
import type { TaskerEngine } from '../engine';
import { ConfigurationError } from '../errors';
import { createContext } from './context';
import type { GraphQLService } from './http';

export interface AttachOptions {
  /**
   * The full path of the GraphQL endpoint on that server: where the host mounted the router, plus
   * `/graphql`. An Express router cannot learn its mount path before a request reaches it, so give
   * it whenever the router is not mounted at `/tasker`. Default `/tasker/graphql`.
   */
  path?: string;
}

export const DEFAULT_SUBSCRIPTION_PATH = '/tasker/graphql';

/** Largest websocket message accepted (the HTTP endpoint's default body limit). */
const MAX_MESSAGE_BYTES = 1024 * 1024;
/** On close, sockets that have not finished the closing handshake by then are cut. */
const CLOSE_GRACE_MS = 1_000;

/** Per-connection data graphql-ws keeps beside the socket and upgrade request. */
type ConnectionExtra = { principal?: Principal };

type ConnectionParams = Record<string, unknown> | undefined;

export interface SubscriptionServerDependencies {
  engine: TaskerEngine;
  graphql: GraphQLService;
  /** The router's readiness: connected, migrated, authentication settings resolved. */
  ready(): Promise<void>;
  authSettings(): AuthSettings;
}

function normalizedPath(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

function requestPath(url: string | undefined): string {
  return normalizedPath(new URL(url ?? '/', 'http://localhost').pathname);
}

/**
 * The token comes in `connectionParams.authorization` (browsers cannot set headers on a
 * WebSocket); the upgrade request's Authorization header is accepted too.
 */
function credentials(params: ConnectionParams, request: http.IncomingMessage): AuthRequest {
  const fromParams = params?.authorization ?? params?.Authorization;
  if (fromParams === undefined || fromParams === null) {
    return { headers: { authorization: request.headers.authorization } };
  }
  if (typeof fromParams !== 'string') {
    throw new AuthenticationError('connectionParams.authorization must be a string');
  }
  return { headers: { authorization: fromParams } };
}

/**
 * GraphQL over WebSockets (the graphql-ws protocol) on the HTTP servers a router is attached to:
 * subscriptions, and queries and mutations too, with the same authentication, permissions and
 * operation limits as `POST /graphql`.
 */
export class SubscriptionServer {
  private websockets: { wss: WebSocketServer; protocol: Disposable } | undefined;
  private readonly detachers = new Map<http.Server, () => void>();
  private closing: Promise<void> | undefined;

  constructor(private readonly deps: SubscriptionServerDependencies) {}

  /** Serves graphql-ws upgrades for `path` on `server`; other upgrade requests are left to other handlers. */
  attach(server: http.Server, options: AttachOptions = {}): void {
    if (this.closing) throw new ConfigurationError('This Tasker router is closed');
    if (this.detachers.has(server)) throw new ConfigurationError('Tasker is already attached to this server');
    const path = options.path ?? DEFAULT_SUBSCRIPTION_PATH;
    if (typeof path !== 'string' || !path.startsWith('/')) {
      throw new ConfigurationError(`attach(): path must start with '/' (got ${JSON.stringify(path)})`);
    }
    const { wss } = (this.websockets ??= this.startWebsockets());
    const expected = normalizedPath(path);
    const onUpgrade = (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      if (requestPath(request.url) !== expected) return;
      wss.handleUpgrade(request, socket, head, (websocket) => wss.emit('connection', websocket, request));
    };
    server.on('upgrade', onUpgrade);
    this.detachers.set(server, () => server.off('upgrade', onUpgrade));
  }

  /** Stops taking upgrades and closes every socket (code 1001), ending its subscriptions. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    for (const detach of this.detachers.values()) detach();
    this.detachers.clear();
    if (!this.websockets) return;
    const { wss, protocol } = this.websockets;
    const cutStragglers = setTimeout(() => {
      for (const socket of wss.clients) socket.terminate();
    }, CLOSE_GRACE_MS);
    try {
      await protocol.dispose();
    } finally {
      clearTimeout(cutStragglers);
    }
  }

  private startWebsockets(): { wss: WebSocketServer; protocol: Disposable } {
    const { engine, ready, authSettings } = this.deps;
    const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
    const protocol = useServer<ConnectionParams, ConnectionExtra>(
      {
        execute,
        subscribe,
        // Returning false closes the socket with 4403 Forbidden.
        onConnect: async ({ connectionParams, extra }) => {
          await ready();
          const settings = authSettings();
          if (settings.mode === 'disabled') return true;
          try {
            extra.principal = await settings.authenticator.authenticate(
              credentials(connectionParams, extra.request),
            );
            return true;
          } catch (error) {
            if (error instanceof AuthenticationError) return false;
            throw error;
          }
        },
        onSubscribe: (_ctx, _id, payload) => this.executionArgs(payload),
        context: ({ extra }) => createContext(engine, authSettings(), extra.principal),
      },
      wss,
    );
    return { wss, protocol };
  }

  /** Parses and validates with the HTTP endpoint's rules; errors fail the operation, not the socket. */
  private async executionArgs(payload: SubscribePayload): Promise<ExecutionArgs | readonly GraphQLError[]> {
    const { graphql } = this.deps;
    const { schema } = await graphql.start();
    let document: DocumentNode;
    try {
      document = parse(payload.query);
    } catch (error) {
      return [error instanceof GraphQLError ? error : new GraphQLError('The operation could not be parsed')];
    }
    const rules = [
      ...specifiedRules,
      ...graphql.validationRules,
      ...(graphql.introspection ? [] : [NoSchemaIntrospectionCustomRule]),
    ];
    const errors = validate(schema, document, rules);
    if (errors.length > 0) return errors;
    return {
      schema,
      document,
      operationName: payload.operationName,
      variableValues: payload.variables,
    };
  }
}
