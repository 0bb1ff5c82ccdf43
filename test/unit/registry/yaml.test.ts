import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/errors';
import {
  compileContextSchema,
  loadTaskDefinitionDirectory,
  loadTaskDefinitionFile,
  parseTaskDefinitionYaml,
  topologicalOrder,
} from '../../../src/registry';
import { definitionErrorFrom } from './helpers';

const fixtures = path.resolve(__dirname, '../../fixtures/definitions');

/** A small definition whose fetch step carries an api handler_config, plus extra YAML lines. */
function yamlWith(extra = ''): string {
  return `
name: import_record
namespace_name: imports
version: 1.2.0
step_templates:
  - name: fetch
    handler_class: Fetch
    handler_config:
      type: api
      url: https://api.example.com
      params: { page: 1, fields: [id, name] }
  - name: store
    handler_class: Store
    depends_on_step: fetch
${extra}`;
}

describe('parseTaskDefinitionYaml', () => {
  it('reads the snake_case keys into a validated definition', () => {
    const definition = parseTaskDefinitionYaml(
      `
name: process_order
namespace_name: ecommerce
version: 1.0.0
description: Checkout
default_dependent_system: ecommerce_platform
schema:
  type: object
  required: [cart_items]
custom_events:
  - name: order.placed
    description: An order was placed
step_templates:
  - name: validate_cart
    description: Validate the cart
    dependent_system: cart_service
    handler_class: ValidateCart
    handler_config: { strict: true }
    default_retryable: false
    default_retry_limit: 1
    skippable: true
    timeout_seconds: 15
    custom_events:
      - name: cart.validated
  - name: process_payment
    handler_class: ProcessPayment
    depends_on_step: validate_cart
    depends_on_steps: [validate_cart]
`,
      { env: {}, nodeEnv: 'test' },
    );

    expect(definition).toEqual({
      name: 'process_order',
      namespaceName: 'ecommerce',
      version: '1.0.0',
      description: 'Checkout',
      defaultDependentSystem: 'ecommerce_platform',
      schema: { type: 'object', required: ['cart_items'] },
      customEvents: [{ name: 'order.placed', description: 'An order was placed' }],
      stepTemplates: [
        {
          name: 'validate_cart',
          description: 'Validate the cart',
          dependentSystem: 'cart_service',
          handlerClass: 'ValidateCart',
          handlerConfig: { strict: true },
          dependsOn: [],
          defaultRetryable: false,
          defaultRetryLimit: 1,
          skippable: true,
          timeoutSeconds: 15,
          customEvents: [{ name: 'cart.validated' }],
        },
        {
          name: 'process_payment',
          description: 'process_payment',
          dependentSystem: 'ecommerce_platform',
          handlerClass: 'ProcessPayment',
          handlerConfig: null,
          dependsOn: ['validate_cart'],
          defaultRetryable: true,
          defaultRetryLimit: 3,
          skippable: false,
          timeoutSeconds: null,
          customEvents: [],
        },
      ],
    });
  });

  it('rejects an alias inside its own anchor (a cycle) and absurd nesting as a DefinitionError', () => {
    const cycle = definitionErrorFrom(() =>
      parseTaskDefinitionYaml('name: &x {a: *x}\n', { env: {}, nodeEnv: 'test' }),
    );
    expect(cycle.message).toContain('nests deeper than 100 levels');
    const deep = definitionErrorFrom(() =>
      parseTaskDefinitionYaml(`name: x\nextra: ${'['.repeat(150)}${']'.repeat(150)}\n`, {
        env: {},
        nodeEnv: 'test',
      }),
    );
    expect(deep.message).toContain('nests deeper than 100 levels');
  });

  it("accepts the reference's Ruby-only keys and ignores them", () => {
    const definition = parseTaskDefinitionYaml(
      yamlWith('task_handler_class: ImportRecord\nmodule_namespace: Imports\nconcurrent: false\n'),
      { env: {}, nodeEnv: 'test' },
    );

    expect(definition.name).toBe('import_record');
  });

  it('rejects unknown keys with their YAML location and hints at the snake_case spelling', () => {
    const error = definitionErrorFrom(() =>
      parseTaskDefinitionYaml(
        `
name: import_record
retries: 3
step_templates:
  - name: fetch
    handlerClass: Fetch
`,
        { env: {}, nodeEnv: 'test' },
      ),
    );

    expect(error.message).toBe(
      "Task definition default.import_record@0.1.0: invalid definition: / has unknown key 'retries'; " +
        "/step_templates/0 (step 'fetch') has unknown key 'handlerClass' (YAML keys are snake_case: 'handler_class')",
    );
  });

  it('reports wrong value types through the definition schema', () => {
    const error = definitionErrorFrom(() =>
      parseTaskDefinitionYaml(
        yamlWith().replace('handler_class: Store', 'handler_class: Store\n    default_retry_limit: many'),
        {
          env: {},
          nodeEnv: 'test',
        },
      ),
    );

    expect(error.step).toBe('store');
    expect(error.message).toContain('imports.import_record@1.2.0');
    expect(error.message).toContain('/stepTemplates/1/defaultRetryLimit must be integer');
  });

  it('rejects a version YAML reads as a number', () => {
    const error = definitionErrorFrom(() =>
      parseTaskDefinitionYaml(yamlWith().replace('version: 1.2.0', 'version: 1.2'), {
        env: {},
        nodeEnv: 'test',
      }),
    );

    expect(error.message).toContain('/version must be string');
  });

  it('reports a YAML syntax error with the source and line', () => {
    const error = definitionErrorFrom(() =>
      parseTaskDefinitionYaml('name: broken\nstep_templates:\n  - name: a\n    handler_class: [A\n', {
        source: 'tasks/broken.yaml',
      }),
    );

    expect(error.task).toBe('tasks/broken.yaml');
    expect(error.message).toMatch(
      /^Task definition tasks\/broken\.yaml: invalid YAML at line \d+, column \d+: /,
    );
  });

  it('reports duplicate YAML keys with their line', () => {
    const error = definitionErrorFrom(() =>
      parseTaskDefinitionYaml('name: a\nname: b\nstep_templates: []\n', { source: 'dup.yaml' }),
    );

    expect(error.message).toMatch(
      /^Task definition dup\.yaml: invalid YAML at line 2, column 1: Map keys must be unique/,
    );
  });

  it('rejects a document that is not a mapping', () => {
    const error = definitionErrorFrom(() => parseTaskDefinitionYaml('- just\n- a list\n'));

    expect(error.message).toBe(
      'Task definition <inline YAML>: a YAML task definition must be a mapping of keys at the top level',
    );
  });

  describe('environments', () => {
    const overrides = `
environments:
  production:
    description: Imports records (production)
    step_templates:
      - name: store
        default_retry_limit: 7
      - name: not_a_step
        handler_class: Ignored
      - name: fetch
        handler_config:
          url: https://prod.example.com
          params: { fields: [id] }
  test:
    step_templates:
      - name: fetch
        handler_config: { url: http://fetch.test }
`;

    it('deep-merges the selected environment, matching step templates by name and keeping base order', () => {
      const definition = parseTaskDefinitionYaml(yamlWith(overrides), { env: {}, nodeEnv: 'production' });

      expect(definition.description).toBe('Imports records (production)');
      expect(definition.stepTemplates.map((template) => template.name)).toEqual(['fetch', 'store']);
      expect(definition.stepTemplates[0].handlerConfig).toEqual({
        type: 'api',
        url: 'https://prod.example.com',
        params: { page: 1, fields: ['id'] },
      });
      expect(definition.stepTemplates[1].defaultRetryLimit).toBe(7);
      expect(definition.stepTemplates[1].handlerClass).toBe('Store');
    });

    it('uses only the selected environment', () => {
      const definition = parseTaskDefinitionYaml(yamlWith(overrides), { env: {}, nodeEnv: 'test' });

      expect(definition.description).toBe('import_record');
      expect(definition.stepTemplates[0].handlerConfig?.url).toBe('http://fetch.test');
      expect(definition.stepTemplates[1].defaultRetryLimit).toBe(3);
    });

    it('keeps the base when the environment has no section', () => {
      const definition = parseTaskDefinitionYaml(yamlWith(overrides), { env: {}, nodeEnv: 'staging' });

      expect(definition.stepTemplates[0].handlerConfig?.url).toBe('https://api.example.com');
    });

    it('defaults to NODE_ENV from the process environment', () => {
      const definition = parseTaskDefinitionYaml(yamlWith(overrides), { env: {} });
      const expectedUrl = process.env.NODE_ENV === 'test' ? 'http://fetch.test' : 'https://api.example.com';

      expect(definition.stepTemplates[0].handlerConfig?.url).toBe(expectedUrl);
    });

    it('rejects an environment section that is not a mapping', () => {
      const error = definitionErrorFrom(() =>
        parseTaskDefinitionYaml(yamlWith('environments:\n  test: [a, b]\n'), { env: {}, nodeEnv: 'test' }),
      );

      expect(error.message).toBe(
        'Task definition imports.import_record@1.2.0: environments.test must be a mapping of overrides',
      );
    });
  });

  describe('${VAR} substitution', () => {
    const withVariables = (url: string, extra = '') =>
      yamlWith(extra).replace('url: https://api.example.com', () => `url: "${url}"`);

    it('substitutes a variable inside a string', () => {
      const definition = parseTaskDefinitionYaml(withVariables('https://${API_HOST}/v1'), {
        env: { API_HOST: 'api.internal' },
        nodeEnv: 'test',
      });

      expect(definition.stepTemplates[0].handlerConfig?.url).toBe('https://api.internal/v1');
    });

    it('uses the default when the variable is unset or empty', () => {
      const parse = (env: Record<string, string | undefined>) =>
        parseTaskDefinitionYaml(withVariables('${API_URL:-http://localhost:3000}'), { env, nodeEnv: 'test' })
          .stepTemplates[0].handlerConfig?.url;

      expect(parse({})).toBe('http://localhost:3000');
      expect(parse({ API_URL: '' })).toBe('http://localhost:3000');
      expect(parse({ API_URL: 'https://set.example' })).toBe('https://set.example');
    });

    it('keeps a whole-string reference a string instead of coercing its type', () => {
      const definition = parseTaskDefinitionYaml(
        withVariables('${PORT}', '    handler_config: { flag: "${FLAG}" }\n'),
        {
          env: { PORT: '8080', FLAG: 'true' },
          nodeEnv: 'test',
        },
      );

      expect(definition.stepTemplates[0].handlerConfig?.url).toBe('8080');
      expect(definition.stepTemplates[1].handlerConfig).toEqual({ flag: 'true' });
    });

    it('never lets a value inject YAML', () => {
      const definition = parseTaskDefinitionYaml(withVariables('${EVIL}'), {
        env: { EVIL: 'x\n    handler_class: Evil\n  - name: injected' },
        nodeEnv: 'test',
      });

      expect(definition.stepTemplates.map((template) => template.name)).toEqual(['fetch', 'store']);
      expect(definition.stepTemplates[0].handlerConfig?.url).toContain('handler_class: Evil');
    });

    it('escapes $${VAR} to a literal ${VAR}', () => {
      const definition = parseTaskDefinitionYaml(withVariables('$${API_HOST}/${API_HOST}'), {
        env: { API_HOST: 'h' },
        nodeEnv: 'test',
      });

      expect(definition.stepTemplates[0].handlerConfig?.url).toBe('${API_HOST}/h');
    });

    it('rejects an unset variable without default, naming the variable, the task and the step', () => {
      const error = definitionErrorFrom(() =>
        parseTaskDefinitionYaml(withVariables('${API_HOST}'), { env: {}, nodeEnv: 'test' }),
      );

      expect(error.message).toBe(
        "Task definition imports.import_record@1.2.0, step 'fetch': " +
          "environment variable 'API_HOST' is not set and has no default (at /step_templates/0/handler_config/url)",
      );
    });

    it('rejects a malformed reference', () => {
      const error = definitionErrorFrom(() =>
        parseTaskDefinitionYaml(withVariables('${API-HOST}'), { env: {}, nodeEnv: 'test' }),
      );

      expect(error.message).toContain("invalid variable reference '${API-HOST}'");
    });

    it('substitutes after choosing the environment, so other environments may use unset variables', () => {
      const definition = parseTaskDefinitionYaml(
        yamlWith(`
environments:
  production:
    step_templates:
      - name: fetch
        handler_config: { url: "\${PROD_API_URL}" }
  test:
    step_templates:
      - name: fetch
        handler_config: { url: "\${TEST_API_URL:-http://fetch.test}" }
`),
        { env: {}, nodeEnv: 'test' },
      );

      expect(definition.stepTemplates[0].handlerConfig?.url).toBe('http://fetch.test');
    });
  });

  describe('named_steps', () => {
    it('accepts a definition whose steps and dependencies are all listed', () => {
      const definition = parseTaskDefinitionYaml(yamlWith('named_steps: [fetch, store]\n'), {
        env: {},
        nodeEnv: 'test',
      });

      expect(definition.stepTemplates).toHaveLength(2);
    });

    it('rejects a step template that is not listed', () => {
      const error = definitionErrorFrom(() =>
        parseTaskDefinitionYaml(yamlWith('named_steps: [fetch]\n'), { env: {}, nodeEnv: 'test' }),
      );

      expect(error.message).toBe(
        "Task definition imports.import_record@1.2.0, step 'store': Step template name 'store' is not in the named_steps list",
      );
    });

    it('rejects a dependency that is not listed', () => {
      const storeFirst = `
name: import_record
named_steps: [store]
step_templates:
  - name: store
    handler_class: Store
    depends_on_step: fetch
  - name: fetch
    handler_class: Fetch
`;
      const error = definitionErrorFrom(() =>
        parseTaskDefinitionYaml(storeFirst, { env: {}, nodeEnv: 'test' }),
      );

      expect(error.message).toBe(
        "Task definition default.import_record@0.1.0, step 'store': Dependency step 'fetch' is not in the named_steps list",
      );
    });

    it('rejects named_steps that is not a list of names', () => {
      const error = definitionErrorFrom(() =>
        parseTaskDefinitionYaml(yamlWith('named_steps: fetch\n'), { env: {}, nodeEnv: 'test' }),
      );

      expect(error.message).toContain('named_steps must be a list of step names');
    });
  });
});

describe('loadTaskDefinitionFile', () => {
  const example = path.join(fixtures, 'example_api_task.yaml');

  it("loads the reference's example shape with the test environment's overrides", () => {
    const definition = loadTaskDefinitionFile(example, { env: {}, nodeEnv: 'test' });

    expect(definition).toMatchObject({
      name: 'api_task/integration_yaml_example',
      namespaceName: 'api_tests',
      version: '1.0.0',
      defaultDependentSystem: 'example_system',
    });
    expect(topologicalOrder(definition.stepTemplates)).toEqual([
      'fetch_data',
      'process_data',
      'complete_task',
    ]);
    expect(definition.stepTemplates[0].handlerConfig).toEqual({
      type: 'api',
      url: 'http://records.test/records',
      params: { source: 'primary', page_size: 5 },
    });
    expect(definition.stepTemplates[1]).toMatchObject({ dependsOn: ['fetch_data'], defaultRetryLimit: 5 });
    expect(definition.stepTemplates[2]).toMatchObject({
      dependsOn: ['process_data'],
      defaultRetryable: false,
    });

    const validateContext = compileContextSchema(definition.schema ?? {});
    expect(validateContext({ input_id: 7 })).toBe(true);
    expect(validateContext({ input_id: 'seven' })).toBe(false);
  });

  it('applies the production overrides to the same file', () => {
    const definition = loadTaskDefinitionFile(example, { env: {}, nodeEnv: 'production' });

    expect(definition.stepTemplates[0]).toMatchObject({
      handlerConfig: { url: 'https://api.example.com/v2/records', params: { page_size: 100 } },
      defaultRetryLimit: 7,
    });
  });

  it('fails with a ConfigurationError when the file cannot be read', () => {
    expect(() => loadTaskDefinitionFile(path.join(fixtures, 'missing.yaml'))).toThrow(ConfigurationError);
  });
});

describe('loadTaskDefinitionDirectory', () => {
  it('loads every .yaml and .yml file recursively, in sorted path order', () => {
    const definitions = loadTaskDefinitionDirectory(path.join(fixtures, 'catalog'), {
      env: {},
      nodeEnv: 'test',
    });

    expect(
      definitions.map((definition) => `${definition.namespaceName}.${definition.name}@${definition.version}`),
    ).toEqual([
      'blog_examples.customer_analytics@1.0.0',
      'blog_examples.customer_analytics@2.0.0-beta.1',
      'ecommerce.process_order@1.0.0',
    ]);
  });

  it('fails with a ConfigurationError when the directory does not exist', () => {
    expect(() => loadTaskDefinitionDirectory(path.join(fixtures, 'no_such_dir'))).toThrow(ConfigurationError);
  });
});
