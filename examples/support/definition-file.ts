import fs from 'node:fs';
import path from 'node:path';
import { loadTaskDefinitionFile, type TaskDefinition, type YamlDefinitionOptions } from '../../src';

/**
 * The repository root: the nearest folder above this file holding a package.json. Examples run
 * from their TypeScript sources (vitest) and from `dist/examples/` (the build), so their YAML is
 * found from the root rather than next to the running file.
 */
function repositoryRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`No package.json above ${from}`);
  }
}

/** Loads `examples/<domain>/<file>` with the library's YAML loader. */
export function loadExampleDefinition(
  domain: string,
  file: string,
  options: Omit<YamlDefinitionOptions, 'source'> = {},
): TaskDefinition {
  return loadTaskDefinitionFile(path.join(repositoryRoot(), 'examples', domain, file), options);
}
