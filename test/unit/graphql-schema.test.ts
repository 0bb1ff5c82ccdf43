import fs from 'node:fs';
import path from 'node:path';
import { buildSchema, parse, specifiedRules, validate, type GraphQLSchema } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { operationLimitsRule } from '../../src/graphql/limits';
import { printTaskerSchema, SCHEMA_FILE } from '../../src/graphql/print-schema';

const root = path.resolve(__dirname, '../..');
const examplesDirectory = path.join(root, 'graphql', 'examples');
const examples = fs
  .readdirSync(examplesDirectory)
  .filter((file) => file.endsWith('.graphql'))
  .sort();

describe('the checked-in GraphQL schema', () => {
  let printed: string;

  beforeAll(async () => {
    printed = await printTaskerSchema();
  });

  it(`${SCHEMA_FILE} is what the resolvers generate`, () => {
    const file = path.join(root, SCHEMA_FILE);
    const checkedIn = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
    expect(
      checkedIn === printed,
      `${SCHEMA_FILE} is stale: regenerate it with \`npm run graphql:schema\` and commit the result`,
    ).toBe(true);
  });

  describe('example operations (graphql/examples)', () => {
    let schema: GraphQLSchema;

    beforeAll(() => {
      schema = buildSchema(printed);
    });

    it('there are examples', () => {
      expect(examples.length).toBeGreaterThan(0);
    });

    it.each(examples)('%s parses and validates within the default limits', (file) => {
      const document = parse(fs.readFileSync(path.join(examplesDirectory, file), 'utf8'));
      const errors = validate(schema, document, [...specifiedRules, operationLimitsRule(10, 5000)]);
      expect(errors.map((error) => error.message)).toEqual([]);
    });
  });
});
