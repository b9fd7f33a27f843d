/**
 * A minimal YAML writer for the files this network generates (crypto-config.yaml, configtx.yaml).
 * Block style only; every string is double-quoted (JSON escapes are valid YAML), so no value can be
 * misread as a number, boolean, anchor or comment. Kept dependency-free on purpose: the scripts
 * must run on a fresh `npm install` without relying on transitive packages.
 */

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function key(k) {
  return PLAIN_KEY.test(k) ? k : JSON.stringify(k);
}

function scalar(value) {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot write ${value} to YAML`);
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  throw new Error(`cannot write a ${typeof value} to YAML`);
}

function isContainer(value) {
  return typeof value === 'object' && value !== null;
}

function isEmptyContainer(value) {
  return Array.isArray(value) ? value.length === 0 : Object.keys(value).length === 0;
}

function inline(value) {
  if (!isContainer(value)) return scalar(value);
  return Array.isArray(value) ? '[]' : '{}';
}

/** Lines of a block node at the given indentation. */
function block(value, indent) {
  const pad = ' '.repeat(indent);
  const lines = [];
  if (Array.isArray(value)) {
    for (const item of value) {
      if (!isContainer(item) || isEmptyContainer(item)) {
        lines.push(`${pad}- ${inline(item)}`);
      } else {
        // The first line of the nested block goes on the dash line.
        const nested = block(item, indent + 2);
        lines.push(`${pad}- ${nested[0].slice(indent + 2)}`, ...nested.slice(1));
      }
    }
    return lines;
  }
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    if (!isContainer(v) || isEmptyContainer(v)) {
      lines.push(`${pad}${key(k)}: ${inline(v)}`);
    } else {
      lines.push(`${pad}${key(k)}:`, ...block(v, indent + 2));
    }
  }
  return lines;
}

/** The YAML document for a plain object, with an optional leading comment. */
export function toYaml(value, comment) {
  if (!isContainer(value) || Array.isArray(value)) throw new Error('toYaml expects an object');
  const header = comment
    ? comment
        .split('\n')
        .map((line) => (line ? `# ${line}` : '#'))
        .join('\n') + '\n'
    : '';
  return `${header}---\n${block(value, 0).join('\n')}\n`;
}
