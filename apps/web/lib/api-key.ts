/**
 * Where the dashboard keeps the API key until dashboard sessions exist: this browser's localStorage.
 * Every access is guarded, because storage can be unavailable (private mode, blocked cookies).
 */
const STORAGE_KEY = 'mendflow.apiKey';

export function loadApiKey(): string | null {
  try {
    return window.localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function saveApiKey(key: string): void {
  try {
    window.localStorage.setItem(STORAGE_KEY, key);
  } catch {
    // Not persisted; the key still works for this page view.
  }
}

export function forgetApiKey(): void {
  try {
    window.localStorage.removeItem(STORAGE_KEY);
  } catch {
    // Nothing stored.
  }
}
