'use client';

import { CodeHighlightAdapterProvider, createHighlightJsAdapter } from '@mantine/code-highlight';
import { MantineProvider } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import hljs from 'highlight.js/lib/core';
import diff from 'highlight.js/lib/languages/diff';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import plaintext from 'highlight.js/lib/languages/plaintext';
import type { ReactNode } from 'react';
import { SessionProvider } from '@/lib/session';
import { theme } from './theme';

hljs.registerLanguage('javascript', javascript);
hljs.registerLanguage('json', json);
hljs.registerLanguage('diff', diff);
hljs.registerLanguage('plaintext', plaintext);
const highlightAdapter = createHighlightJsAdapter(hljs);

export function Providers({ children }: { children: ReactNode }) {
  return (
    <MantineProvider theme={theme} defaultColorScheme="auto">
      <CodeHighlightAdapterProvider adapter={highlightAdapter}>
        <Notifications position="top-right" limit={4} />
        <SessionProvider>{children}</SessionProvider>
      </CodeHighlightAdapterProvider>
    </MantineProvider>
  );
}
