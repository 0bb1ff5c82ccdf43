import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import express, {
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
  type Router,
} from 'express';
import type { GraphQLSchema } from 'graphql';
import type { RouteContext } from '../rest/route-context';
import { requestContext } from '../rest/request-context';
import { createContext, type GraphQLContext } from './context';
import { operationLimitsRule } from './limits';
import { buildTaskerSchema } from './schema';

export interface GraphQLOptions {
  /** Deepest selection allowed; default 10. */
  maxDepth?: number;
  /** Largest estimated cost (fields × list limits) allowed; default 5000. */
  maxComplexity?: number;
  /** Allow introspection queries; default on unless NODE_ENV=production. */
  introspection?: boolean;
}

/** The schema and Apollo server of one router, created on its first GraphQL request. */
export class GraphQLService {
  private started: Promise<{ schema: GraphQLSchema; apollo: ApolloServer<GraphQLContext> }> | undefined;

  constructor(private readonly options: GraphQLOptions = {}) {}

  get validationRules() {
    return [operationLimitsRule(this.options.maxDepth ?? 10, this.options.maxComplexity ?? 5000)];
  }

  /** Whether introspection queries are answered (HTTP and websocket alike). */
  get introspection(): boolean {
    return this.options.introspection ?? process.env.NODE_ENV !== 'production';
  }

  start() {
    this.started ??= (async () => {
      const schema = await buildTaskerSchema();
      const apollo = new ApolloServer<GraphQLContext>({
        schema,
        introspection: this.introspection,
        includeStacktraceInErrorResponses: false,
        validationRules: this.validationRules,
      });
      await apollo.start();
      return { schema, apollo };
    })();
    return this.started;
  }

  async stop(): Promise<void> {
    const started = await this.started?.catch(() => undefined);
    await started?.apollo.stop();
  }
}

/** Authentication failures are answered with HTTP 401 before GraphQL runs (DESIGN §7). */
function authenticate(context: RouteContext): RequestHandler {
  return async (req: Request, _res: Response, next: NextFunction) => {
    try {
      const settings = context.authSettings();
      if (settings.mode === 'enforced') {
        requestContext(req).principal ??= await settings.authenticator.authenticate({ headers: req.headers });
      }
      next();
    } catch (error) {
      next(error);
    }
  };
}

/** `POST|GET /graphql` (Apollo Server 5 on Express 5). */
export function graphqlRoutes(context: RouteContext, service: GraphQLService): Router {
  const router = express.Router();
  let middleware: RequestHandler | undefined;
  router.use('/graphql', context.json, authenticate(context), async (req, res, next) => {
    try {
      const { apollo } = await service.start();
      middleware ??= expressMiddleware(apollo, {
        context: async ({ req: request }) =>
          createContext(context.engine, context.authSettings(), request.tasker?.principal),
      });
      await middleware(req, res, next);
    } catch (error) {
      next(error);
    }
  });
  return router;
}
