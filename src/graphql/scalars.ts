import { GraphQLDateTime, GraphQLJSON } from 'graphql-scalars';

/** `JSON`: any JSON value (task contexts, step results). */
export const JSONScalar = GraphQLJSON;
/** `DateTime`: ISO 8601 timestamps. */
export const DateTimeScalar = GraphQLDateTime;
