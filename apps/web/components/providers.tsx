'use client';

import { CodeHighlightAdapterProvider, createHighlightJsAdapter } from '@mantine/code-highlight';
import { MantineProvider } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { setNonce } from 'get-nonce';
import hljs from 'highlight.js/lib/core';
import diff from 'highlight.js/lib/languages/diff';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import plaintext from 'highlight.js/lib/languages/plaintext';
import typescript from 'highlight.js/lib/languages/typescript';
import { QueryClientProvider } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { createQueryClient } from '@/lib/query-client';
import { SessionProvider } from '@/lib/session';
import { theme } from './theme';

hljs.registerLanguage('javascript', javascript);
hljs.registerLanguage('json', json);
hljs.registerLanguage('diff', diff);
hljs.registerLanguage('plaintext', plaintext);
hljs.registerLanguage('typescript', typescript);
const highlightAdapter = createHighlightJsAdapter(hljs);

/**
 * `nonce` is the page's CSP nonce (see proxy.ts and the root layout): Mantine puts it on the style tags
 * it renders, and react-remove-scroll (Mantine's modals, drawers and dropdowns) on the one it adds at
 * run time, which it takes from get-nonce.
 */
export function Providers({ children, nonce }: { children: ReactNode; nonce?: string }) {
  if (nonce) setNonce(nonce);
  const [queryClient] = useState(createQueryClient);
  return (
    <MantineProvider theme={theme} defaultColorScheme="auto" getStyleNonce={nonce ? () => nonce : undefined}>
      <CodeHighlightAdapterProvider adapter={highlightAdapter}>
        <Notifications position="top-right" limit={4} />
        <QueryClientProvider client={queryClient}>
          <SessionProvider>{children}</SessionProvider>
        </QueryClientProvider>
      </CodeHighlightAdapterProvider>
    </MantineProvider>
  );
}
