import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FieldNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';

/** Largest page any list query returns. */
const MAX_LIMIT = 100;

/**
 * The `limit` of a list query multiplies what is selected below it: a literal as written, a
 * variable as the largest allowed page (its value is not known yet), an omitted one as the
 * argument's default.
 */
function listMultiplier(field: FieldNode, defaultLimits: ReadonlyMap<string, number>): number {
  const limit = field.arguments?.find((argument) => argument.name.value === 'limit');
  if (limit?.value.kind === Kind.INT) return Math.max(1, Math.min(Number(limit.value.value), MAX_LIMIT));
  if (limit?.value.kind === Kind.VARIABLE) return MAX_LIMIT;
  return defaultLimits.get(field.name.value) ?? 1;
}

/** Default `limit` of each root query field that has one. */
function rootDefaultLimits(context: ValidationContext): Map<string, number> {
  const fields = context.getSchema().getQueryType()?.getFields() ?? {};
  const defaults = new Map<string, number>();
  for (const [name, field] of Object.entries(fields)) {
    const limit = field.args.find((argument) => argument.name === 'limit');
    if (typeof limit?.defaultValue === 'number') defaults.set(name, limit.defaultValue);
  }
  return defaults;
}

interface Measure {
  depth: number;
  cost: number;
}

function measure(
  selectionSet: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  visiting: Set<string>,
  defaultLimits: ReadonlyMap<string, number>,
): Measure {
  let depth = 0;
  let cost = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      const below = selection.selectionSet
        ? measure(selection.selectionSet, fragments, visiting, defaultLimits)
        : { depth: 0, cost: 0 };
      depth = Math.max(depth, below.depth + 1);
      cost += 1 + below.cost * listMultiplier(selection, defaultLimits);
    } else {
      const fragment =
        selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
      const name = selection.kind === Kind.FRAGMENT_SPREAD ? selection.name.value : undefined;
      if (!fragment || (name && visiting.has(name))) continue;
      if (name) visiting.add(name);
      const inner = measure(fragment.selectionSet, fragments, visiting, defaultLimits);
      if (name) visiting.delete(name);
      depth = Math.max(depth, inner.depth);
      cost += inner.cost;
    }
  }
  return { depth, cost };
}

/**
 * Refuses operations nested deeper than `maxDepth` or estimated to cost more than `maxComplexity`
 * (one per field, aliases included, times the `limit` of the list fields above it) before anything
 * runs, so a hostile query cannot make the server walk the database.
 */
export function operationLimitsRule(maxDepth: number, maxComplexity: number) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map(
      context
        .getDocument()
        .definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
        .map((d) => [d.name.value, d]),
    );
    const defaultLimits = rootDefaultLimits(context);
    return {
      OperationDefinition(operation) {
        const { depth, cost } = measure(operation.selectionSet, fragments, new Set(), defaultLimits);
        if (depth > maxDepth) {
          context.reportError(
            new GraphQLError(`The operation is nested ${depth} levels deep; the limit is ${maxDepth}`, {
              nodes: [operation],
              extensions: { code: 'BAD_USER_INPUT' },
            }),
          );
        }
        if (cost > maxComplexity) {
          context.reportError(
            new GraphQLError(
              `The operation's estimated complexity is ${cost}; the limit is ${maxComplexity}`,
              {
                nodes: [operation],
                extensions: { code: 'BAD_USER_INPUT' },
              },
            ),
          );
        }
      },
    };
  };
}
