import { createTheme, type MantineColorsTuple } from '@mantine/core';

// Mendflow's accent: a calm blue-violet; everything else is Mantine's palette.
const mend: MantineColorsTuple = [
  '#eef0ff',
  '#dcdeff',
  '#b5baf7',
  '#8c93f0',
  '#6a72ea',
  '#545de7',
  '#4851e6',
  '#3942cd',
  '#313ab8',
  '#2631a3',
];

const systemFonts =
  'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", "Liberation Sans", Arial, sans-serif';
const monoFonts =
  'ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", "DejaVu Sans Mono", monospace';

export const theme = createTheme({
  primaryColor: 'mend',
  primaryShade: { light: 6, dark: 4 },
  colors: { mend },
  fontFamily: systemFonts,
  fontFamilyMonospace: monoFonts,
  headings: { fontFamily: systemFonts, fontWeight: '650' },
  defaultRadius: 'md',
  focusRing: 'auto',
  cursorType: 'pointer',
  components: {
    Card: { defaultProps: { withBorder: true, radius: 'md', padding: 'lg' } },
    Paper: { defaultProps: { radius: 'md' } },
    Badge: { defaultProps: { radius: 'sm' } },
    Tooltip: { defaultProps: { withArrow: true, openDelay: 300 } },
    Table: { defaultProps: { verticalSpacing: 'sm', highlightOnHover: true } },
    Modal: { defaultProps: { centered: true, radius: 'md' } },
  },
});
