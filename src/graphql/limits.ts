import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FieldNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';

/** The `limit` argument of a list field multiplies what is selected below it. */
function listMultiplier(field: FieldNode): number {
  const limit = field.arguments?.find((argument) => argument.name.value === 'limit');
  if (limit?.value.kind === Kind.INT) return Math.max(1, Math.min(Number(limit.value.value), 100));
  return 1;
}

interface Measure {
  depth: number;
  cost: number;
}

function measure(
  selectionSet: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  visiting: Set<string>,
): Measure {
  let depth = 0;
  let cost = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      const below = selection.selectionSet
        ? measure(selection.selectionSet, fragments, visiting)
        : { depth: 0, cost: 0 };
      depth = Math.max(depth, below.depth + 1);
      cost += 1 + below.cost * listMultiplier(selection);
    } else {
      const fragment =
        selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
      const name = selection.kind === Kind.FRAGMENT_SPREAD ? selection.name.value : undefined;
      if (!fragment || (name && visiting.has(name))) continue;
      if (name) visiting.add(name);
      const inner = measure(fragment.selectionSet, fragments, visiting);
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
    return {
      OperationDefinition(operation) {
        const { depth, cost } = measure(operation.selectionSet, fragments, new Set());
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
