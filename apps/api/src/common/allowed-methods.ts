/** What an Express router keeps of one route (`app.router.stack`); other layers have no `route`. */
export interface RouteLayer {
  route?: { path?: unknown; methods?: Record<string, boolean | undefined> } | undefined;
}

/**
 * The methods the app's routes serve at `path` (the request's raw path), upper-case and sorted, HEAD
 * wherever GET is (Express answers it); empty when no route has this path, so the answer is a 404,
 * not a 405. Only plain paths and `:param` segments are matched; wildcard routes (Nest's catch-all for
 * unknown routes) name no methods.
 */
export function allowedMethods(stack: readonly RouteLayer[], path: string): string[] {
  const segments = split(path);
  const methods = new Set<string>();
  for (const layer of stack) {
    const route = layer.route;
    if (typeof route?.path !== 'string' || !matches(split(route.path), segments)) continue;
    for (const [method, enabled] of Object.entries(route.methods ?? {})) {
      if (!enabled || method.startsWith('_')) continue;
      methods.add(method.toUpperCase());
      if (method === 'get') methods.add('HEAD');
    }
  }
  return [...methods].sort();
}

// Express matches case-insensitively and ignores a trailing slash (its defaults).
function split(path: string): string[] {
  return path.toLowerCase().split('/').filter(Boolean);
}

function matches(pattern: string[], segments: string[]): boolean {
  if (pattern.length !== segments.length) return false;
  return pattern.every((part, i) => {
    if (/[*{}()?+]/.test(part)) return false;
    return part.startsWith(':') ? (segments[i] ?? '').length > 0 : part === segments[i];
  });
}
